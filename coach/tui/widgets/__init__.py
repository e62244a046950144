"""Widgets shared by coach's screens (the conversation, the debrief and the replay viewer)."""
