/* runcmd.c - run a local tool without a shell and capture its output. */
#include "annex/runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int runcmd_exists(const char *name)
{
	const char *path = getenv("PATH");
	char *dirs, *save = NULL;
	int found = 0;

	if (!name || !*name)
		return 0;
	if (strchr(name, '/'))
		return access(name, X_OK) == 0;
	dirs = xstrdup(path ? path : "/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *full = xasprintf("%s/%s", *d ? d : ".", name);
		found = access(full, X_OK) == 0;
		free(full);
	}
	free(dirs);
	return found;
}

int runcmd_capture(char *const argv[], struct buf *out, int *status, struct annex_err *err)
{
	posix_spawn_file_actions_t fa;
	int fds[2], rc, wstatus;
	pid_t pid;
	char chunk[4096];
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return annex_err_set(err, "Exec", "pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return annex_err_set(err, "Exec", "cannot run %s: %s", argv[0], strerror(rc));
	}
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		buf_append(out, chunk, (size_t)n);
	}
	close(fds[0]);
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	return 0;
}
