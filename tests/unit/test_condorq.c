/* test_condorq.c - reading condor_q's -af output (condorq.c) over the
 * outputs recorded from HTCondor 25.14 (../shared/htcondor-recorded/
 * condor_q/, ANNEX_SHARED): undefined requests take HTCondor's defaults,
 * booleans are "true", Requirements name the architecture. */
#include <stdlib.h>

#include "annex/buf.h"
#include "annex/condorq.h"
#include "harness.h"

static char *recorded(const char *name)
{
	const char *shared = getenv("ANNEX_SHARED");
	char *path = xasprintf("%s/htcondor-recorded/condor_q/%s", shared ? shared : "../shared", name);
	struct buf b = BUF_INIT;

	if (buf_read_file(&b, path, 1 << 20) != 0)
		harness_fail_(__FILE__, __LINE__, "cannot read %s", path);
	free(path);
	return buf_steal(&b);
}

static void t_idle_af(void)
{
	char *text = recorded("idle-af.txt");
	struct condorq q;
	struct annex_err err = { 0 };
	long aws = 0, n1 = 0, gpu = 0, big = 0, dflt = 0;

	CHECK_INT(condorq_parse(text, &q, &err), 0);
	CHECK_INT(q.n, 21);
	for (size_t i = 0; i < q.n; i++) {
		const struct condorq_job *j = &q.v[i];
		CHECK_STR(j->bad, "");
		CHECK_STR(j->arch, "x86_64");
		aws += j->may_use_aws;
		n1 += j->cpus == 1 && j->memory_mb == 2048 && j->gpus == 0 && j->may_use_aws;
		gpu += j->cpus == 8 && j->memory_mb == 32768 && j->gpus == 1 && j->may_use_aws;
		big += j->cpus == 192 && j->memory_mb == 2097152 && j->may_use_aws;
		dflt += j->cpus == 1 && j->memory_mb == 128 && j->gpus == 0 && !j->may_use_aws;
	}
	CHECK_INT(aws, 15);
	CHECK_INT(n1, 10);
	CHECK_INT(gpu, 3);
	CHECK_INT(big, 2);
	CHECK_INT(dflt, 4);
	CHECK_INT(q.v[0].cluster, 1);
	CHECK_INT(q.v[13].cluster, 3);
	CHECK_INT(q.v[13].proc, 0);
	CHECK_STR(q.v[13].owner, "recq2");
	CHECK_STR(q.v[0].owner, "recq");
	CHECK_INT(q.v[20].cpus, 4);
	CHECK_INT(q.v[20].memory_mb, 16000);
	condorq_free(&q);
	free(text);
}

static void t_empty(void)
{
	char *text = recorded("empty-af.txt");
	struct condorq q;
	struct annex_err err = { 0 };

	CHECK_INT(condorq_parse(text, &q, &err), 0);
	CHECK_INT(q.n, 0);
	condorq_free(&q);
	free(text);
	CHECK_INT(condorq_parse("\n  \n", &q, &err), 0);
	CHECK_INT(q.n, 0);
	condorq_free(&q);
}

/* The -af query with RequestDisk before MayUseAWS is not annex's: its
 * seventh value is a number, so each job is kept as bad, never planned. */
static void t_disk_form_is_not_ours(void)
{
	char *text = recorded("idle-af-disk.txt");
	struct condorq q;
	struct annex_err err = { 0 };

	CHECK_INT(condorq_parse(text, &q, &err), 0);
	CHECK_INT(q.n, 21);
	CHECK_STR(q.v[0].bad, "MayUseAWS is '1048576.0', not a boolean");
	condorq_free(&q);
	free(text);
}

/* The MayUseAWS-only query has six values: refused, naming the line. */
static void t_six_values_refused(void)
{
	char *text = recorded("idle-mayuseaws-af.txt");
	struct condorq q;
	struct annex_err err = { 0 };

	CHECK_INT(condorq_parse(text, &q, &err), -1);
	CHECK_STR(err.code, "CondorQ");
	CHECK(strstr(err.msg, "line 1: 6 values") != NULL);
	CHECK_INT(q.n, 0);
	free(text);
	CHECK_INT(condorq_parse("x 0 u 1 2 3 true\n", &q, &err), -1);
	CHECK(strstr(err.msg, "not a job id") != NULL);
}

static void t_bad_values(void)
{
	struct condorq q;
	struct annex_err err = { 0 };

	CHECK_INT(condorq_parse("7 0 u error 2048 undefined true\n7 1 u 2.5 100.2 2 false\n7 2 u 0 0 0 yes\n", &q,
				&err), 0);
	CHECK_INT(q.n, 3);
	CHECK_STR(q.v[0].bad, "RequestCpus is 'error', not a number");
	CHECK_STR(q.v[1].bad, "");
	CHECK_INT(q.v[1].cpus, 3);
	CHECK_INT(q.v[1].memory_mb, 101);
	CHECK_INT(q.v[1].gpus, 2);
	CHECK_INT(q.v[1].may_use_aws, 0);
	CHECK_INT(q.v[2].cpus, 1);
	CHECK_STR(q.v[2].bad, "MayUseAWS is 'yes', not a boolean");
	condorq_free(&q);
}

/* The recorded Requirements name X86_64; a command that prints more after
 * MayUseAWS gives the architecture. */
static void t_arch(void)
{
	char *text = recorded("job-1.0-long-requests.txt"), *req = strstr(text, "Requirements = ");
	char arch[16];
	struct condorq q;
	struct annex_err err = { 0 };

	CHECK(req != NULL);
	condorq_arch(req ? req + 15 : NULL, arch, sizeof(arch));
	CHECK_STR(arch, "x86_64");
	condorq_arch("(TARGET.Arch == \"aarch64\") && (TARGET.OpSys == \"LINUX\")", arch, sizeof(arch));
	CHECK_STR(arch, "arm64");
	condorq_arch("MyArch == \"X\" && Arch==\"ARM64\"", arch, sizeof(arch));
	CHECK_STR(arch, "arm64");
	condorq_arch("ppc64le", arch, sizeof(arch));
	CHECK_STR(arch, "ppc64le");
	condorq_arch("undefined", arch, sizeof(arch));
	CHECK_STR(arch, "x86_64");
	condorq_arch(NULL, arch, sizeof(arch));
	CHECK_STR(arch, "x86_64");
	CHECK_INT(condorq_parse("9 0 u 1 128 undefined true (TARGET.Arch == \"aarch64\") && (x)\n"
				"9 1 u 1 128 undefined true \"X86_64\"\n", &q, &err), 0);
	CHECK_STR(q.v[0].arch, "arm64");
	CHECK_STR(q.v[1].arch, "x86_64");
	condorq_free(&q);
	free(text);
}

TESTS(T(t_idle_af), T(t_empty), T(t_disk_form_is_not_ours), T(t_six_values_refused), T(t_bad_values), T(t_arch))
