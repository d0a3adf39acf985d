#!/bin/bash
# cold builds of the bench project at several nbcache_jobs, and -j 2; alternating
cd /tmp/ovp/nb
out=/tmp/ovp/jobs.txt
for rep in 1 2; do
  for cfg in "jobs2" "jobs3" "jobs4" "jobs6" "j2" ; do
    rm -rf .nbcache _build
    case $cfg in
      jobs*) args="-D nbcache_jobs=${cfg#jobs}";;
      j2) args="-j 2";;
    esac
    up=$(uptime | sed 's/.*average: //')
    PYTHONPATH=/tmp/ovsnap /usr/bin/time -f "$cfg rep$rep %e s wall %U user %S sys (load before: $up)" \
      /tmp/ovb/bin/sphinx-build -q -b html -d _build/doctrees . _build/html $args > /tmp/ovp/jobs.$cfg.$rep.log 2>&1
    tail -1 /tmp/ovp/jobs.$cfg.$rep.log >> $out
  done
done
echo done >> $out
