"""``python -m cli``: the ``safer`` command (what ``safer up`` starts its components with)."""

import sys

from cli.main import main

sys.exit(main())
