from survey.cli import cli

cli(prog_name="python -m survey")
