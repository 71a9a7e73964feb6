"""Boot entry: run the SEC node (``python main.py [config.json]`` on the host)."""

import sys

import app

app.main(sys.argv[1] if len(sys.argv) > 1 else 'config.json')
