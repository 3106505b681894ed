"""Reporting: the JSON and HTML files of a profile run and the summary printed in the terminal."""
