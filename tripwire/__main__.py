"""``python -m tripwire`` = the ``tripwire`` CLI."""

import sys

from tripwire.cli import main

sys.exit(main())
