V = excluded-x.py
