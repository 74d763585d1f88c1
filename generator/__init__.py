"""irqspec: formal specs of interrupt delivery, checked with Z3 and compiled into Python models and pytest suites."""

__version__ = "0.1.0"
