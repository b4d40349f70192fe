"""Serve the app in testing configuration for browser journeys: python -m tests.live_app PORT."""

import sys

from werkzeug.serving import run_simple

from config import TestingConfig
from crm import create_app

if __name__ == "__main__":
    app = create_app(TestingConfig)
    run_simple("127.0.0.1", int(sys.argv[1]), app, threaded=True)
