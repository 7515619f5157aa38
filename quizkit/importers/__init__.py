"""Reading other tools' files into the bank (``quizkit import``).

Each importer turns a foreign file into :class:`~quizkit.model.CardSpec`
values for :meth:`~quizkit.storage.bank.Bank.sync_deck`, plus the learner
state and review history :mod:`quizkit.storage.importing` writes.
"""
