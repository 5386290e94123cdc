"""``python -m hudnlib``: see :mod:`hudnlib.cli`."""

import sys

if __name__ == "__main__":
    try:
        from hudnlib.cli import main
    except KeyboardInterrupt:  # Ctrl-C while the libraries load: nothing started yet
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(main())
