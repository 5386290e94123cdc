"""``python -m hudnlib``: see :mod:`hudnlib.cli`."""

import sys

from hudnlib.cli import main

sys.exit(main())
