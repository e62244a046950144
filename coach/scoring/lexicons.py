"""Hand-written lexicons behind the analytic scorer.

Kept apart from the scoring logic so a reviewer can read (and argue with) every phrase that
earns or costs points without reading code. Each entry is a regular-expression fragment,
matched case-insensitively on word boundaries; groups are joined into one compiled pattern per
behaviour by `coach.scoring.analytic`. Nothing here is copied from a dataset: the phrases are
the textbook markers of EPITOME (empathy) and MITI (listening) behaviours.
"""

from __future__ import annotations

# --- Empathy: emotional reactions (EPITOME "ER") -------------------------------------------

# Strong, explicit warmth or concern aimed at the other person (ER level 2).
EMOTIONAL_STRONG: tuple[str, ...] = (
    r"(?:i'?m|i am|am) (?:so |really |very |truly |deeply )?sorry",
    # "I apologise, you should have been told": the formal sorry.
    r"i (?:(?:do |really |sincerely )?apologi[sz]e|owe you an apology)",
    r"so sorry",
    r"sorry (?:to hear|for your|about (?:that|your|what)|you(?:'re| are)?|that|this)",
    r"sorry (?:man|dude|friend)",
    r"my heart (?:goes|breaks|aches)",
    r"sending (?:you )?(?:love|hugs|virtual|good vibes|strength)",
    r"hugs?",
    r"love you",
    r"(?:that'?s|that is|this is|how) (?:so |really |very |just )?"
    r"(?:awful|terrible|horrible|heartbreaking|rough|tough|hard|sad|unfair|scary|frustrating|"
    r"painful|upsetting|a (?:real |huge |big )?(?:loss|blow))",
    # "That must have really hurt."
    r"(?:that|it|this) must (?:have )?(?:really |truly )?(?:hurt|stung|been awful)",
    r"(?:that|it) (?:must|would|can|could) (?:be|have been|feel) (?:so |really |very )?"
    r"(?:hard|tough|difficult|awful|painful|scary|frustrating|exhausting|lonely|overwhelming|"
    r"stressful|upsetting|draining|confusing|rough)",
    r"(?:that|it) sounds (?:so |really |very |incredibly )?"
    r"(?:hard|tough|difficult|awful|painful|scary|frustrating|exhausting|lonely|overwhelming|"
    r"stressful|upsetting|rough|terrible|horrible|unfair|draining)",
    # Any subject: "Being called the bottleneck in front of everyone sounds humiliating."
    r"(?:sounds|sounded|must have been|must be|must feel) (?:so |really |very |incredibly )?"
    r"(?:humiliating|embarrassing|demoralising|demoralizing|hurtful|isolating|infuriating|"
    r"disheartening|discouraging|devastating|heartbreaking|crushing|unsettling|nerve-wracking|"
    r"heavy)",
    r"oh no",
    r"i(?:'m| am) (?:so |really )?(?:worried|concerned) (?:about|for) you",
    r"i care about",
    r"(?:glad|happy|proud) (?:that )?you",
    r"thank you for (?:sharing|telling|trusting|opening)",
)

# Weaker, generic warmth or encouragement (ER level 1).
EMOTIONAL_WEAK: tuple[str, ...] = (
    # "It sounds like this month has been a lot."
    r"(?:sounds like|has been|must be|must have been) (?:such |so |really |quite )?a lot"
    r"(?! of| more| less| to| for| better| worse)",
    # "... has been a lot more than a busy patch" (not "a lot more tickets").
    r"(?:sounds like|has been|have been|must be|must have been) (?:such |so |really |quite )?"
    r"a lot more than",
    r"(?:you'?re|you are) not alone",
    r"don'?t (?:worry|be (?:so )?hard on yourself|give up)",
    r"(?:it'?s|it is|that'?s|that is) (?:ok|okay|alright|fine|normal|valid|understandable)",
    r"hang in there",
    r"stay strong",
    r"you(?:'ve| have)? got this",
    r"you can do (?:it|this)",
    r"i feel (?:you|ya|yah|for you)",
    r"good luck",
    r"(?:it|things) (?:will|gets?|is going to|'ll) (?:get )?better",
    r"you(?:'re| are) (?:worth|strong|brave|doing (?:great|well|fine)|a good)",
    r"aw|aww|awww|ugh|ughh",
    r"i appreciate",
    r"(?:sorry|unfortunate)",
    r"(?:that|this) (?:sucks|stinks)",
    r"you deserve",
    r"no shame",
    r"be kind to yourself",
    r"take care",
    # Offers of support and encouragement (EPITOME counts these as a weak emotional reaction).
    r"happy birthday",
    r"(?:i'?m|i am|so) (?:so |really )?glad",
    r"glad (?:to hear|you)",
    r"(?:lend|offer) (?:a|an|you a|you an) (?:listening )?ear",
    r"listening ear",
    r"feel free to (?:message|pm|dm|reach out|talk|vent|write)",
    r"(?:my|our) (?:inbox|dms?|pms?) (?:is|are) (?:always )?open",
    r"(?:i'?d|i would) (?:like|love) to help",
    r"happy to (?:help|listen|talk)",
    r"you(?:'re| are) (?:worthy|enough|not a (?:failure|fraud|burden|bad))",
    r"(?:sending|send) (?:you )?(?:love|hugs|good vibes|strength)",
    r"congrat(?:s|ulations)",
    r"best wishes",
    r"proud of you",
    r"wish you (?:the best|well|luck)",
    # Hopes and wishes for them: warmth, but EPITOME's raters mostly code them as weak.
    r"i (?:really )?(?:hope|wish) (?:you|that you|things|it|your)",
    r"hope (?:you|things|it gets|everything)",
    r"best of luck",
)

# Supportive words that signal mild warmth when the reply is addressed to the person ("you").
WARM_WORDS: tuple[str, ...] = (
    r"here for you",
    r"i'?m here",
    r"(?:feel|get|feeling|getting) better",
    r"talk to",
    r"get through",
    r"keep going",
    r"be (?:ok|okay|alright|fine)",
    r"proud",
    r"alone",
    r"hope",
    r"better",
    r"hugs?",
    r"love",
    r"care",
)

# --- Empathy: interpretations (EPITOME "IP") -----------------------------------------------

# Conveys understanding through a specific inference or a shared experience (IP level 2).
INTERPRET_STRONG: tuple[str, ...] = (
    r"i(?:'ve| have) (?:been|gone|felt|had|struggled|dealt|lived|experienced|also|too|often)",
    r"i (?:went|used to|struggled|struggle|deal|dealt|suffer|suffered|had|was|felt|also)",
    r"i feel (?:the )?(?:same|exact(?:ly)? (?:the )?same|like that too|this way too|that way)",
    r"(?:same|me) (?:here|too)",
    r"i(?:'m| am) (?:the same|in the same|going through|also|dealing|struggling)",
    r"when i was",
    r"i know (?:what|exactly what) (?:it'?s|it is|you'?re|you are) (?:like|going through|feeling)",
    r"i can (?:relate|imagine|see why|understand why)",
    r"been there",
    r"(?:it|that) (?:sounds|seems) like you",
    r"you (?:must|might) (?:feel|be feeling|have felt)",
    r"(?:that|it) must (?:be|have been|feel)",
    r"i (?:can )?(?:hear|see|sense) (?:that|how|you)",
    # "my friend" without "a": an address ("Hang in there, my friend"), not a story.
    r"my (?:own |)(?:experience|depression|anxiety|therapist|mom|dad|ex)",
    r"in my (?:case|experience)",
)

# A specific inference about the other's inner experience, or an explicit "same here":
# enough on its own for a strong interpretation.
INTERPRET_SPECIFIC: tuple[str, ...] = (
    r"(?:sounds|seems) like you",
    # Naming the bind they are in: "That puts you in a difficult position".
    r"(?:puts|put|leaves|left|places) you in (?:a |an |such a )?(?:really |very |pretty )?"
    r"(?:difficult|tough|hard|awkward|impossible|bad|tricky|horrible|terrible) "
    r"(?:position|spot|place|situation)",
    r"you(?:'re| are) in (?:a |an |such a )?(?:really |very |pretty )?(?:difficult|tough|hard|"
    r"awkward|impossible|tricky) (?:position|spot|place|situation)",
    # Reading their situation back: "It sounds like the team is stretched thin".
    r"(?:it|that) (?:sounds|seems) like (?:the|your|this|these|those|things|everyone|people|"
    r"they|it's|it has)",
    # What it is worth to them: "this party means a lot to you".
    r"(?:means|meant|matters|mattered) (?:so much|a lot|a great deal|everything|the world) "
    r"to you",
    r"you must (?:feel|be)",
    r"(?:that|it) must (?:be|have been|feel)",
    r"i can (?:relate|imagine)",
    r"been there",
    r"same here",
    r"me too",
    r"i feel (?:the )?same",
    r"part of you",
    # Validating the feeling they showed: "No wonder you're upset", "Of course you're angry".
    r"no wonder (?:you|you're|you are|you'd|you feel|you felt)",
    r"(?:makes|made) (?:total |complete |perfect |a lot of )?sense (?:that )?"
    r"you(?:'re| are|'d| would| feel| felt)",
    r"of course you(?:'re| are|'d| would| feel| felt)",
    # Validating that what happened to them was not right: "You shouldn't have to chase us",
    # "You've had to repeat yourself, which shouldn't happen".
    r"you (?:shouldn't|should not|should never) have (?:had )?to",
    r"(?:that|which|this|it) (?:shouldn't|should not|should never) (?:have )?happen(?:ed)?",
    # Reflecting the feeling back: "So you felt blindsided". ("... makes you feel ..." is
    # as often a question or a general remark, and measured worse on EPITOME.)
    r"so you (?:felt|feel|were feeling|are feeling)",
    r"(?:it'?s|it is|that'?s|that is) (?:completely |totally |so )?(?:understandable|natural) "
    r"(?:that )?(?:you|you're|you are|you'd|you feel|you felt)",
    # Naming how hard their situation is, whatever the subject: "looking after your dad while
    # ... must be exhausting", "sounds like a really hard couple of months".
    r"(?:sounds|seems) like (?:a |an |such a )?(?:really |so |very |pretty |incredibly )?"
    r"(?:hard|tough|difficult|stressful|exhausting|painful|frustrating|overwhelming|scary|lot)",
    r"must (?:be|have been|feel) (?:really |so |very |incredibly |pretty )?"
    r"(?:hard|tough|difficult|stressful|exhausting|draining|painful|frustrating|overwhelming|"
    r"scary|lonely|upsetting|a lot)",
    # Knowing what it cost them: "I know how much of yourself you put into this".
    r"i know how (?:much|hard) (?:\w+ ){0,3}(?:you|this (?:means|meant|matters|mattered))",
    r"i know what (?:this|it|that) (?:means|meant|matters|mattered) to you",
    # The weight of their situation: "That's a lot riding on it", "a lot on your plate".
    r"(?:that'?s|that is|it'?s|it is|this is) (?:such |so |really |quite )?a lot "
    r"(?:to (?:carry|deal with|handle|take in|juggle|manage|process|cope with)|"
    r"on your (?:plate|shoulders|mind)|riding on (?:it|this|that)|going on)",
)

# First-person references: two or more mark the writer sharing their own experience.
SELF_REFERENCE: tuple[str, ...] = (r"i|i'm|im|i've|ive|my|me|myself|i'd|i'll",)

# First-person phrases that are politeness or advice, not self-disclosure.
NOT_SELF_DISCLOSURE: tuple[str, ...] = (
    r"i(?:'m| am)? (?:sorry|hope|think you|wish you|would|'d|suggest|recommend)",
)

# Pushing the fault away ("not my fault", "that wasn't me"): talk about oneself that shares
# nothing of their experience.
DEFLECTION: tuple[str, ...] = (
    r"not (?:me|my fault|on me|my (?:problem|call|decision|department|job|doing))",
    r"(?:wasn'?t|was not|isn'?t|is not) (?:me|my fault|on me|my (?:call|decision|doing))",
    r"(?:nothing|not anything) to do with me",
    # Someone else's fault: "It's the client's fault the data was late."
    r"(?:it'?s|it is|it was|that'?s|that is|that was) (?:all |really |entirely )?"
    r"(?:the|their|his|her) (?:\w+(?:'s)? )?fault",
)

# Generic statements of understanding without specifics (IP level 1).
INTERPRET_WEAK: tuple[str, ...] = (
    r"i (?:completely |totally |fully )?(?:understand|get it|get that|get you|hear you|know)",
    r"i know (?:how|what) you(?:'re| are)? (?:feel|mean|going)",
    r"(?:that|it) makes sense",
    r"relate",
    r"i see",
)

# --- Empathy: explorations (EPITOME "EX") --------------------------------------------------

# Generic invitations to say more (EX level 1); a question that probes something specific the
# person said counts as level 2 instead.
EXPLORE_GENERIC: tuple[str, ...] = (
    r"what(?:'s| is) (?:up|wrong|going on|happening|bothering you)",
    r"what happened",
    r"tell (?:me|us) (?:more|about)",
    r"how are you(?: doing| feeling)?",
    r"what(?:'s| has) been going on",
    r"care to (?:share|elaborate)",
    r"(?:can|could) you (?:say|tell me) more",
    # "What's been the hardest part?": about their experience, though it names nothing of it.
    r"what(?:'s| is| was| has been) (?:been )?the (?:hardest|toughest|worst|most difficult) "
    r"(?:part|thing|bit)",
)

# --- Listening: reflections (MITI) ----------------------------------------------------------

# Openers that frame a statement as the listener's understanding of the speaker.
REFLECTION_STEMS: tuple[str, ...] = (
    r"sounds (?:to me )?like",
    r"sounds as (?:if|though)",
    r"it (?:seems|sounds|looks) (?:to me )?(?:like|that|as if)",
    r"(?:it seems|seems like) you",
    r"what i(?:'m| am) hearing",
    r"i(?:'m| am) hearing",
    r"if i (?:understand|hear|heard|get) (?:you|this|that)",
    r"you(?:'re| are) (?:saying|telling me|feeling|not sure|worried|concerned|"
    r"afraid|scared|frustrated|upset|tired|angry|hoping|wondering|thinking|struggling|unsure|"
    r"torn|stuck|ready|really|pretty|quite|kind of|sort of|still|finding|trying|wanting|"
    r"considering|realizing|noticing|unhappy|happy|disappointed|overwhelmed|hurt|annoyed)",
    r"you (?:feel|felt|think|thought|believe|want|wanted|wish|need|don'?t|didn'?t|"
    r"can'?t|worry|worried|hope|like|love|hate|see|value|care|enjoy|know|mean|find|found|"
    r"have (?:been|tried|had|a)|'ve (?:been|tried|had)|would (?:like|rather)|really|just|also|"
    r"still|kind of|sort of|seem|sound|get|got|are|were)",
    r"part of you",
    r"(?:is|are|was|seems|feels) (?:\w+ )?(?:hard|difficult|important|scary|frustrating|"
    r"painful|stressful|overwhelming|confusing|upsetting|a struggle) for you",
    r"(?:scares|worries|bothers|upsets|frustrates|concerns|frightens|hurts|annoys|shocked|"
    r"surprised|scared|worried|bothered|upset|hurt) you",
    r"(?:feels?|seems?|sounds?|looks?) (?:\w+ ){0,2}(?:to|for) you",
    r"on (?:the )?one hand",
    r"on the other hand",
    r"for you,? ",
    r"(?:it'?s|it is|that'?s) (?:really |very )?important (?:to|for) you",
    r"you used to",
    r"(?:is|are|was|were) (?:really |very |so )?important to you",
    r"(?:matters?|means? (?:a lot|so much|everything)) to you",
    r"(?:it|that|this) (?:feels|felt) like",
    r"you(?:'re| are) the kind of",
    r"(?:you'?ve|you have) been (?:feeling|thinking|struggling|trying)",
    r"your (?:concern|worry|fear|feeling|sense|goal|hope|frustration)s? (?:is|are|was)",
    r"(?:this|that|it) (?:has been|is|was) (?:really )?(?:hard|difficult|tough|"
    r"frustrating|stressful|important|a lot) for you",
    r"it'?s (?:been )?(?:hard|difficult|tough|frustrating|stressful) (?:for you )?to",
    # Naming how it must feel: "That must be hard", "It must have been lonely".
    r"(?:that|it|this) must (?:be|have been|feel) (?:really |so |very |incredibly |pretty )?"
    r"(?:hard|tough|difficult|stressful|exhausting|draining|painful|frustrating|overwhelming|"
    r"scary|lonely|upsetting|a lot|awful|terrible|horrible|devastating|heartbreaking)",
    # Handing back what they said earlier: "Well, you said before you had an opportunity".
    r"you (?:said|mentioned|brought up|told me|talked about|described|pointed out)",
    # "I hear that the client pressure lands on you first", "What I hear is that ...".
    r"i (?:hear|sense|gather|get the sense|get the feeling) that",
    r"what i (?:hear|sense) is",
    # "I kind of see a sense of sadness there", "I sense a lot of worry".
    r"i (?:kind of |really |can |also )?(?:see|sense|hear|notice) (?:a |some )?"
    r"(?:sense|feeling|lot|bit) of",
)

# Meaning-adding words: feelings, values, ambivalence. A reflection carrying these goes beyond
# the other's words, which MITI codes as a complex reflection.
FEELING_WORDS: tuple[str, ...] = (
    r"feel(?:s|ing|ings)?",
    r"felt",
    r"worr(?:y|ied|ies|ying)",
    r"concern(?:ed|s)?",
    r"afraid",
    r"scar(?:ed|es|y)",
    r"fear(?:s|ful)?",
    r"frustrat(?:ed|ing|ion)",
    r"upset",
    r"angry|anger",
    r"hurt(?:s|ful)?",
    r"sad(?:ness)?",
    r"lonely|alone",
    r"overwhelm(?:ed|ing)",
    r"stress(?:ed|ful)?",
    r"anxious|anxiety",
    r"disappoint(?:ed|ing|ment)",
    r"discourag(?:ed|ing)",
    r"exhaust(?:ed|ing)",
    r"tired",
    r"torn",
    r"stuck",
    r"hopeless|helpless",
    r"embarrass(?:ed|ing)",
    r"ashamed|shame",
    r"guilt(?:y)?",
    r"proud",
    r"relie(?:f|ved)",
    r"excited",
    r"unhappy|happy",
    r"confus(?:ed|ing)",
    r"uncomfortable",
    r"unsure|uncertain",
    r"resent(?:ful|ment)?",
    r"betrayed",
    r"let down",
    r"annoy(?:ed|ing)",
    r"important",
    r"matters?",
    r"(?:value|values|valued)",
    r"(?:care|cares|cared) about",
    r"hop(?:e|es|ing)",
    r"want(?:s|ed)? to",
    r"(?:don'?t|do not) want",
    r"trust",
    r"respect(?:ed)?",
    r"unfair",
    r"hard",
    r"difficult",
    r"struggl(?:e|es|ed|ing)",
)

# Words and phrases that mark what the other person just said as painful, so a tip may answer
# it with "that sounds like a lot to carry"; a neutral statement ("The competitor work is
# good", "Understand the timeline") gets a tip about what it means to them instead. Plain
# word forms, not patterns: the check is a set lookup on tokens the scorer already has (a
# regex over the text cost ~9 us a turn, 3% of the scorer's time).
PAINFUL_WORDS: frozenset[str] = frozenset(
    [
        "worry",
        "worried",
        "worries",
        "worrying",
        "afraid",
        "scared",
        "fear",
        "fears",
        "fearful",
        "terrified",
        "frustrated",
        "frustrating",
        "frustration",
        "upset",
        "angry",
        "furious",
        "livid",
        "hurt",
        "hurts",
        "hurtful",
        "sad",
        "lonely",
        "alone",
        "overwhelmed",
        "overwhelming",
        "stress",
        "stressed",
        "stressful",
        "anxious",
        "anxiety",
        "panic",
        "panicking",
        "disappointed",
        "disappointing",
        "disappointment",
        "discouraged",
        "discouraging",
        "exhausted",
        "exhausting",
        "tired",
        "drained",
        "sleep",
        "sleeping",
        "slept",
        "stuck",
        "hopeless",
        "helpless",
        "trapped",
        "embarrassed",
        "embarrassing",
        "humiliated",
        "humiliating",
        "ashamed",
        "shame",
        "guilt",
        "guilty",
        "unfair",
        "ignored",
        "blamed",
        "betrayed",
        "hard",
        "difficult",
        "struggle",
        "struggles",
        "struggled",
        "struggling",
        "credibility",
        "ruin",
        "ruined",
        "ruins",
        "disaster",
        "nightmare",
        "awful",
        "terrible",
        # Illness and loss: "my mum's just had surgery" is heavy whatever the sentence says.
        "surgery",
        "hospital",
        "ill",
        "illness",
        "sick",
        "cancer",
        "stroke",
        "diagnosed",
        "diagnosis",
        "died",
        "death",
        "funeral",
        "grief",
        "grieving",
        "miscarriage",
        "divorce",
    ]
)
PAINFUL_PHRASES: tuple[str, ...] = (
    "burnt out",
    "burned out",
    "let down",
    "can't cope",
    "falling apart",
    "my job",
    "my reputation",
    "on the line",
    "nobody noticed",
    "no one noticed",
    "nobody cares",
    "no one cares",
    "nobody listens",
    "no one listens",
)

# --- Listening: questions (MITI) ------------------------------------------------------------

# Question openers that invite a wide answer (open questions).
OPEN_QUESTION_STARTS: tuple[str, ...] = (
    r"what",
    r"how",
    r"why",
    r"in what way",
    r"tell me",
    r"describe",
    r"walk me through",
    r"help me understand",
    r"which",
    r"where",
    r"when",
    r"who",
)

# Openers that invite yes/no or a short fact (closed questions).
CLOSED_QUESTION_STARTS: tuple[str, ...] = (
    r"do",
    r"does",
    r"did",
    r"is",
    r"are",
    r"was",
    r"were",
    r"can",
    r"could",
    r"would",
    r"will",
    r"should",
    r"shall",
    r"have",
    r"has",
    r"had",
    r"may",
    r"might",
    r"am",
    r"isn'?t",
    r"aren'?t",
    r"don'?t",
    r"doesn'?t",
    r"didn'?t",
    r"won'?t",
    r"wouldn'?t",
    r"can'?t",
    r"couldn'?t",
    r"haven'?t",
    r"any",
    r"anyone",
    r"anything",
    r"you",
    r"right",
    r"yeah",
    r"ok(?:ay)?",
    r"really",
)

# "What about..." or "is there anything else..." read as closed by grammar but work as open.
OPEN_QUESTION_ANYWHERE: tuple[str, ...] = (
    r"anything else",
    r"what else",
    r"tell me (?:more|about)",
    r"more about",
    r"how (?:do|did|does|would|could|might|are|is|was|has|have|can|will)",
    r"what (?:do|did|does|would|could|might|are|is|was|has|have|can|will|makes|made|kind|sort)",
    r"why",
    # Requests to elaborate phrased as yes/no ("Can you walk me through ...?") are open (MITI).
    r"(?:walk|talk) me through",
    r"help me understand",
    r"(?:say|explain|describe) (?:a (?:bit|little) )?more",
    r"what(?:'s| is) (?:behind|driving)",
)

# --- Listening costs ------------------------------------------------------------------------

# Unsolicited advice and instructions (MITI "advise without permission", "direct").
ADVICE: tuple[str, ...] = (
    # "You shouldn't have to ..." validates; it tells them nothing to do.
    # "You really need to quit": an intensifier between does not soften it.
    r"you (?:(?:really|just|definitely|seriously|honestly|absolutely|simply|probably|also|"
    r"still) )?(?:should(?! not have to| never have to)|shouldn'?t(?! have to)|must|mustn'?t|"
    r"need to|needs to|have to|gotta|ought to|oughta|better)",
    r"(?:just|simply) (?:do|try|go|get|stop|tell|talk|ask|take|make|be|focus|ignore|move on|"
    r"let|call|quit|leave|find|keep|remember|accept)",
    r"(?:my|the best|some) advice (?:is|would be)",
    r"i(?:'d| would) (?:recommend|suggest|advise)",
    r"i (?:recommend|suggest|advise)",
    r"why don'?t you",
    r"(?:you could|you can|you might) (?:try|consider|always)",
    r"try (?:to|not to|doing|talking|getting|going|taking|writing|making)",
    r"make sure (?:you|to)",
    r"it(?:'s| is|'d be| would be) (?:best|better|a good idea) (?:to|if you)",
    r"(?:go|get|see|talk to|find|seek) (?:a |some )?(?:professional|therapist|counsel+or|"
    r"doctor|help)",
    r"if i were you",
    r"(?:stop|quit) (?:listening|thinking|worrying|doing|being|it|that|this|these)",
    r"(?:don'?t|do not) (?:let|think|listen|be afraid|overthink|take it)",
)

# Asking or offering before advising (MITI "advise with permission").
PERMISSION: tuple[str, ...] = (
    r"(?:would|do) you (?:like|want|mind) (?:some|a few|my|me to|to hear|if i)",
    r"(?:can|could|may) i (?:offer|suggest|share|give|make|tell)",
    r"is it (?:ok|okay|alright|all right) if i",
    r"(?:if|when) you(?:'re| are)? (?:open|interested|ready)",
    r"one (?:idea|option|thing) (?:might|could|that)",
    r"(?:it'?s|it is) (?:up to|your (?:choice|call|decision))",
    r"you(?:'re| are)? (?:free to|the (?:expert|best judge))",
)

# Blaming, judging, arguing, labelling (MITI "confront").
CONFRONT: tuple[str, ...] = (
    r"(?:it'?s|it is|that'?s|that is|this is|it was|that was|this was) "
    r"(?:all |totally |entirely )?your (?:own )?fault",
    r"you(?:'re| are) (?:wrong|being (?:ridiculous|silly|stupid|unreasonable|dramatic|"
    r"difficult|childish|lazy|selfish)|ridiculous|overreacting|lazy|selfish|stupid|"
    r"an idiot|crazy|unreasonable|too sensitive|paranoid|delusional|in denial|just making "
    r"excuses|making excuses)",
    # "You always overpromise" (a trailing space here never matched: patterns end at a word
    # end). Not "you never know" nor "you always have a choice".
    r"you (?:always|never)(?! know| have (?:a|the) choice)",
    r"(?:that'?s|that is|this is) (?:ridiculous|stupid|nonsense|rubbish|absurd|not true|"
    r"wrong|your problem|not my problem)",
    r"what (?:were|was) you thinking",
    r"you (?:should|could) have (?:known|thought|listened)",
    # "You should have called ahead": a reproach for what they did (not "should have been
    # told", which takes their side).
    r"you (?:should(?:n't)?|ought to) have (?!been|had)(?:\w+ed|done|gone|known|seen|told|said|"
    r"thought|taken|given|brought|made|come|got|gotten|written|spoken|left|kept|let)",
    r"whose fault",
    r"(?:get|grow) over it",
    r"grow up",
    r"man up",
    r"how (?:could|can) you (?:not|be so)",
    # A label given as an order: "Don't be selfish", "Stop being so difficult".
    r"(?:don'?t|do not|stop) (?:be|being) (?:so )?(?:selfish|ridiculous|silly|stupid|"
    r"unreasonable|dramatic|difficult|childish|lazy|petty|like that)",
    r"don'?t you know",
    r"excuses?",
    r"told you so",
    r"you (?:clearly|obviously) (?:don'?t|didn'?t|can'?t)",
    r"(?:you'?re|you are) putting (?:your|them|everyone)",
    r"bad advice",
    r"get the facts",
)

# Minimising or brushing off feelings.
DISMISSIVE: tuple[str, ...] = (
    r"calm down",
    r"relax",
    r"chill(?: out)?",
    r"(?:it'?s|it is|that'?s|that is|this is) (?:not|no) (?:a |that )?big deal",
    r"no big deal",
    r"whatever",
    r"(?:get|move) over it",
    r"move on",
    r"(?:it'?s|it is|that'?s|that is) (?:not (?:that|so) bad|nothing|just|only)",
    r"could (?:be|have been) worse",
    r"at least",
    r"(?:stop|quit) (?:complaining|whining|worrying|crying|being (?:so )?(?:dramatic|emotional))",
    r"don'?t be (?:so )?(?:dramatic|sensitive|emotional|silly)",
    r"you(?:'re| are) overthinking",
    r"(?:it'?s|that'?s) in your head",
    r"others have it worse",
    r"(?:who|nobody|no one) cares",
    r"so what",
    r"deal with it",
    r"not my problem",
    r"it is what it is",
    r"look on the bright side",
    r"cheer up",
    r"snap out of it",
)

# Ultimatums, deadlines imposed on the other side, rushing.
PRESSURE: tuple[str, ...] = (
    r"take it or leave it",
    r"final (?:offer|answer|warning)",
    r"non-?negotiable",
    r"or else",
    r"(?:last|only) chance",
    r"(?:right|right now|immediately|asap|today) or",
    r"you (?:have|'ve got) (?:no|\d+|until|till)",
    r"(?:decide|answer|sign|choose|respond) (?:now|today|right now|immediately)",
    r"(?:i|we) (?:need|want) (?:an answer|a decision|this|it) (?:now|today|by|immediately)",
    r"hurry(?: up)?",
    r"no time (?:for|to)",
    r"(?:or|otherwise) (?:i'?ll|i will|we'?ll|we will) (?:walk|leave|go|find|report|escalate|"
    r"cancel|fire)",
    r"i(?:'m| am) (?:done|not going to wait|walking away)",
    r"(?:that'?s|this is) (?:it|all)(?:\.|!|$| and)",
    r"like it or not",
    r"end of (?:story|discussion)",
    r"not up for (?:debate|discussion)",
    # A demand for the speaker's own sake, not advice: "You have to take my Saturday",
    # "You need to cover for me".
    r"you (?:have to|need to|must|'ve got to|gotta) (?:\w+ ){1,3}(?:my|me|for me|for us|our)",
    r"just say yes",
    r"you owe me",
    r"(?:i )?do(?:n'?t| not) have time for (?:this|that|it)",
)

# A concrete offer or next step (negotiation and feedback scenarios reward these).
PROPOSAL: tuple[str, ...] = (
    r"what if (?:we|i|you)",
    r"how about (?:we|i|you|if|\w+ing)",
    # Not "I wish I could take the pain away": a wish, not an offer.
    r"(?<!wish )(?:i|we) (?:can|could|will|'ll) (?:offer|give|do|send|meet|split|share|move|"
    r"schedule|set up|arrange|cover|try|take|call|check|follow up|look into|get back|ship|"
    r"deliver|launch|release|start|pay|commit|extend|add|cut|drop|reprint|refund|replace|"
    r"phase|include)",
    r"(?:i'?d|i would) (?:be (?:happy|willing|glad) to|like to (?:offer|propose|suggest))",
    r"(?:let'?s|let us) (?!talk about something)",
    r"(?:i|we) (?:propose|suggest|offer)",
    r"(?:would|could|can) (?:you|we) (?:do|accept|agree|meet|try|consider|make|go with|work "
    r"with|live with)",
    r"(?:(?:it's a|we have a|make a|strike a) deal|compromise|split (?:it|the difference))",
    r"(?:in exchange|in return)",
)

# Dates, times and amounts: concrete terms of a proposal ("95k by Friday"), but also what a
# reflection hands back ("you've slept five hours a night this month"). They count as a
# proposal only in a sentence that does not report the past or what the other person said.
PROPOSAL_DETAIL: tuple[str, ...] = (
    r"(?:next|by|on|this|before) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"week|month|morning|afternoon|evening|tomorrow|end of)",
    r"\d+(?:[.,]\d+)?\s?(?:%|percent|k\b|dollars|euros|usd|eur|days?|weeks?|hours?|minutes?|"
    r"months?|pm|am)",
    r"[$€£]\s?\d+(?:[.,]\d+)?",
    # "on the fourteenth", "by the 3rd", "two weeks later".
    r"(?:on|by|before|from|after|until) the (?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|"
    r"fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|"
    r"sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty-\w+|thirtieth|thirty-first)",
    r"(?:one|two|three|four|five|six|a couple of|a few) (?:days?|weeks?|months?)(?: later)?",
)

# Filler words and verbal tics that dilute a message.
FILLERS: tuple[str, ...] = (
    r"um|umm|ummm",
    r"uh|uhh|uhhh",
    r"er|erm|err|errm",
    r"hmm|hmmm|hmmmm",
    r"like,",
    r"you know,",
    r"i mean,",
    r"basically",
    r"literally",
    r"actually",
    r"kind of like",
    r"sort of like",
    r"kinda",
    r"sorta",
    r"just saying",
    r"so yeah",
    r"anyway(?:s)?,",
    r"whatnot",
    r"and stuff",
    r"or whatever",
    r"stuff like that",
    r"things like that",
)

# Hedges that water down a point (one is polite; several blur it).
HEDGES: tuple[str, ...] = (
    r"maybe",
    r"perhaps",
    r"possibly",
    r"probably",
    r"i guess",
    r"i suppose",
    r"i think",
    r"i feel like",
    r"kind of",
    r"sort of",
    r"somewhat",
    r"a (?:little|bit)",
    r"not sure",
    r"might",
    r"i don'?t know(?: if)?",
    r"just",
    r"if that makes sense",
    r"more or less",
    r"in a way",
)

# Phrases that state the point or the ask explicitly.
CLEAR_ASK: tuple[str, ...] = (
    r"(?:could|can|would|will) you (?:please )?(?!tell me more)",
    r"(?:i|we) (?:need|want|would like|'d like|propose|suggest|ask|recommend|request) ",
    r"(?:my|the) (?:point|ask|request|proposal|suggestion|goal|plan|priority) (?:is|would be)",
    r"(?:please|let'?s|let us) ",
    r"next step",
    r"(?:by|before|on) (?:monday|tuesday|wednesday|thursday|friday|tomorrow|the end of|next)",
    r"(?:what if|how about) ",
    r"(?:i'?ll|i will|we'?ll|we will) ",
)

# Empathy clichés: fine once, a warning sign when repeated or used without specifics.
STOCK_EMPATHY: tuple[str, ...] = (
    r"i (?:completely |totally |fully )?understand(?: how you feel| your (?:feelings|frustration|"
    r"concern)| where you'?re coming from)?",
    r"i hear you",
    r"i know how you feel",
    r"that must be (?:hard|difficult|tough)",
    r"i(?:'m| am) sorry (?:you feel|to hear)(?: that)?",
    r"your feelings are valid",
    r"i feel your pain",
    r"i appreciate you sharing",
    r"thank you for sharing",
)

# The other person handing over the agenda ("You wanted a word?", "Go on then."): a reply
# that names its subject ("I wanted to talk about ...") answers them, so it is neither
# off-topic nor an unanswered question.
AGENDA_INVITES: tuple[str, ...] = (
    r"you wanted (?:a word|to talk|to see me|to chat|a chat|a minute|to meet)",
    r"you said it was (?:urgent|important)",
    r"what(?:'s| is) (?:up|this about|on your (?:list|mind))",
    r"what did you want to (?:talk about|see me about|discuss)",
    r"what can i do for you",
    r"anything i can help with",
    r"how can i help",
    r"go on(?: then)?",
    r"i'?m listening",
)

# Greetings and pleasantries: not content, so they neither build on nor switch the topic.
SMALL_TALK: tuple[str, ...] = (
    r"hi",
    r"hello",
    r"hey",
    r"good (?:morning|afternoon|evening)",
    r"thanks?(?: you)?",
    r"bye",
    r"nice to meet you",
)

# Openers that announce a change of subject.
TOPIC_SHIFT: tuple[str, ...] = (
    r"(?:anyway|anyways|moving on|changing the subject|on another note|by the way|btw|"
    r"speaking of|random(?:ly)?|unrelated|off topic|forget (?:that|it|about it))",
    r"(?:let'?s|can we) (?:talk about|move on to|change the subject|get (?:back )?to)",
    r"did you (?:see|watch|hear about) (?:the|that|last)",
    r"weather",
)

# Function words ignored when measuring overlap with the other person's content.
STOPWORDS: frozenset[str] = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "either",
        "else",
        "even",
        "ever",
        "every",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "getting",
        "got",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "he'd",
        "he'll",
        "he's",
        "her",
        "here",
        "here's",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "how's",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "just",
        "let's",
        "like",
        "me",
        "more",
        "most",
        "much",
        "mustn't",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "really",
        "same",
        "shan't",
        "she",
        "she'd",
        "she'll",
        "she's",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they'd",
        "they'll",
        "they're",
        "they've",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "was",
        "wasn't",
        "we",
        "we'd",
        "we'll",
        "we're",
        "we've",
        "were",
        "weren't",
        "what",
        "what's",
        "when",
        "when's",
        "where",
        "where's",
        "which",
        "while",
        "who",
        "who's",
        "whom",
        "why",
        "why's",
        "will",
        "with",
        "won't",
        "would",
        "wouldn't",
        "yeah",
        "yes",
        "yep",
        "ok",
        "okay",
        "you",
        "you'd",
        "you'll",
        "you're",
        "you've",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "oh",
        "um",
        "uh",
        "hmm",
        "well",
        "mm",
        "hm",
        "mhm",
        "right",
        "sure",
        "thing",
        "things",
        "lot",
        "lots",
        "know",
        "think",
        "want",
        "go",
        "going",
        "gonna",
        "make",
        "made",
        "say",
        "said",
        "tell",
        "told",
        "see",
        "way",
        "still",
        "back",
        "one",
        "also",
        "bit",
        "something",
        "anything",
        "nothing",
        "everything",
        "someone",
        "anyone",
        "everyone",
        "kind",
        "sort",
        "maybe",
        "though",
        "thats",
        "dont",
        "im",
        "ive",
        "youre",
        "cant",
        "wont",
        "didnt",
        "doesnt",
        "isnt",
        "wasnt",
    ]
)
