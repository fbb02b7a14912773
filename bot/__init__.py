"""lawbot — 法治学习与办事助手."""

__version__ = "0.1.0"
