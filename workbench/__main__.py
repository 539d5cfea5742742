"""Entry point for ``python -m workbench``."""

import signal
import sys

try:
    from workbench.cli import main
    from workbench.cli.interrupt import quit_now
except KeyboardInterrupt:  # Ctrl-C while the libraries load: one line, no traceback
    print("interrupted", file=sys.stderr)
    sys.exit(130)

if __name__ == "__main__":
    status = main()
    signal.signal(signal.SIGINT, lambda signum, frame: quit_now())  # Ctrl-C during shutdown: no atexit traceback
    sys.exit(status)
