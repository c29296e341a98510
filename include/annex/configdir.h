/* configdir.h - condor_annex's -config-dir DIR: extra HTCondor config
 * files for the nodes. Every regular file directly in DIR (symbolic links
 * followed, subdirectories and other kinds skipped), in lexical order of
 * name, becomes one struct bootscript_file, which the boot script writes
 * to /etc/condor/config.d/<name> on each node. Names are checked by the
 * boot script ([A-Za-z0-9._-]); sizes by the user-data limit at launch. */
#ifndef ANNEX_CONFIGDIR_H
#define ANNEX_CONFIGDIR_H

#include <stddef.h>

#include "annex/bootscript.h"
#include "annex/err.h"

/* Reads DIR's files into a new array (*files, *n; n may be 0). Errors name
 * the directory or the file ("-config-dir DIR: ..."). */
int configdir_load(const char *dir, struct bootscript_file **files, size_t *n, struct annex_err *err);

/* Frees the array and every name and (cleansed) content. */
void configdir_free(struct bootscript_file *files, size_t n);

#endif
