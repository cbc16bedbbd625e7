from raqib.cli import run

run()
