"""quizkit: compile Markdown study notes into a spaced-repetition question bank."""

__version__ = "0.1.0"
