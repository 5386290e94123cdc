"""``python -m hudnlib``: see :mod:`hudnlib.cli`."""

import sys

from hudnlib.cli import main

if __name__ == "__main__":
    sys.exit(main())
