"""coach: a soft-skills conversation coach for the terminal."""

__version__ = "0.1.0"
