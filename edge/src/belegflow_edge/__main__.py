import sys

from belegflow_edge.cli import main

sys.exit(main())
