"""python -m irqspec.cli"""

from . import run

run()
