/* configdir.c - the files of -config-dir DIR (see include/annex/configdir.h). */
#include "annex/configdir.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "annex/buf.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct bootscript_file *)a)->name, ((const struct bootscript_file *)b)->name);
}

/* Reads one file whole into a cleansable allocation (config files may
 * hold secrets of their own). */
static int read_one(const char *dir, const char *path, unsigned char **data, size_t *len,
		    struct annex_err *err)
{
	struct buf b;

	buf_init_secret(&b);
	if (buf_read_file(&b, path, 0) != 0) {
		annex_err_set(err, "Usage", "-config-dir %s: cannot read %s: %s", dir, path, strerror(errno));
		buf_free(&b);
		return -1;
	}
	*len = b.len;
	*data = (unsigned char *)buf_steal(&b);
	return 0;
}

int configdir_load(const char *dir, struct bootscript_file **files, size_t *n, struct annex_err *err)
{
	struct bootscript_file *v = NULL;
	size_t count = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	*files = NULL;
	*n = 0;
	if (!(d = opendir(dir)))
		return annex_err_set(err, "Usage", "-config-dir %s: %s", dir, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		char *path;
		unsigned char *data = NULL;
		size_t len = 0;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0) {
			rc = annex_err_set(err, "Usage", "-config-dir %s: %s: %s", dir, de->d_name, strerror(errno));
		} else if (S_ISREG(st.st_mode) && (rc = read_one(dir, path, &data, &len, err)) == 0) {
			v = xrealloc(v, (count + 1) * sizeof(*v));
			v[count].name = xstrdup(de->d_name);
			v[count].data = data;
			v[count].len = len;
			count++;
		}
		free(path);
	}
	closedir(d);
	if (rc != 0) {
		configdir_free(v, count);
		return -1;
	}
	if (count > 1)
		qsort(v, count, sizeof(*v), by_name);
	*files = v;
	*n = count;
	return 0;
}

void configdir_free(struct bootscript_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)files[i].name);
		if (files[i].data) {
			OPENSSL_cleanse((void *)files[i].data, files[i].len);
			free((void *)files[i].data);
		}
	}
	free(files);
}
