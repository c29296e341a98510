V = excluded-x.sh
