"""The learner's terminal app (Textual). The only package in coach that imports textual."""
