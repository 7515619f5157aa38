"""The chapter compiler: Markdown chapters in, cards (CardSpec), media and warnings out.

Pure library code: no database, no CLI.  See docs/compiler.md for what is
extracted from which layouts and for the card shapes and fact keys.
"""

from quizkit.compiler.chapter import chapter_files, compile_file, compile_path, compile_text

__all__ = ["chapter_files", "compile_file", "compile_path", "compile_text"]
