"""Storage: the SQLite/PostgreSQL bank behind quizkit (see bank.py)."""
