"""Sign-in for survey staff, managers and admins (ui/login.py draws it)."""

from ui import login

login.render("/")
