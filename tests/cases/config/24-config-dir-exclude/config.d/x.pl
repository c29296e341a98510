V = excluded-x.pl
