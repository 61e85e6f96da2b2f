"""One notebook from file to scored result: choose its assignment, run it, check each question
with its kind, mark what was not attempted, and score by the rubric (`pipeline` reads top to bottom)."""
