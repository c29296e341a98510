/* main.c - argv -> cli -> the command's function; prints the one error line.
 * The only place that prints an error or picks the exit status: 0 on
 * success (and after -help, -version), 1 on any failure. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "annex/buf.h"
#include "annex/cli.h"
#include "annex/cmd.h"
#include "annex/err.h"

#if defined(__SANITIZE_ADDRESS__)
#define MAIN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MAIN_ASAN 1
#endif
#endif

/* No core dumps: annex holds the AWS secret key, session tokens and the
 * pool password in memory, and a crash must not write them to disk.
 * RLIMIT_CORE 0 (soft and hard, so no child can raise it either) stops the
 * dump; not dumpable also keeps other processes of the same user from
 * attaching to annex or reading its memory through /proc. An AddressSanitizer
 * build stays dumpable: LeakSanitizer attaches to the process with ptrace. */
static void main_no_core_dumps(void)
{
	struct rlimit none = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &none);
#ifndef MAIN_ASAN
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

/* Writes s with control characters escaped (\n, \t, \xNN), so that a
 * message quoting the user's text stays on one line. */
static void main_put_line_safe(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n')
			fputs("\\n", stderr);
		else if (c == '\t')
			fputs("\\t", stderr);
		else if (c < 0x20 || c == 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
}

#define MAIN_FIX_IAM "annex's AWS identity lacks a permission: docs/iam.md lists what each command needs"
#define MAIN_FIX_QUOTA "raise the quota in the Service Quotas console (Amazon EC2, this region) or ask for fewer"
#define MAIN_FIX_KEY "check the AWS credentials annex uses (annex -check-setup; docs/credentials.md)"

/* AWS errors whose fix is known: the fix follows AWS's own code and
 * message on the same line (issue 20: every error with a known fix names
 * it). Throttling codes are retried, not listed. */
static const struct {
	const char *code, *fix;
} main_err_fixes[] = {
	{ "UnauthorizedOperation", MAIN_FIX_IAM },
	{ "AccessDenied", MAIN_FIX_IAM },
	{ "AccessDeniedException", MAIN_FIX_IAM },
	{ "InstanceLimitExceeded", MAIN_FIX_QUOTA },
	{ "VcpuLimitExceeded", MAIN_FIX_QUOTA },
	{ "MaxSpotInstanceCountExceeded", MAIN_FIX_QUOTA },
	{ "MaxSpotFleetRequestCountExceeded", MAIN_FIX_QUOTA },
	{ "InsufficientInstanceCapacity", "AWS has no capacity of that type there now: try another instance type "
	  "(or, for a Spot Fleet, more types in the config file) or try later" },
	{ "AuthFailure", MAIN_FIX_KEY },
	{ "InvalidClientTokenId", MAIN_FIX_KEY },
	{ "SignatureDoesNotMatch", MAIN_FIX_KEY },
	{ "ExpiredToken", "the session token expired: fetch new credentials (docs/credentials.md)" },
	{ "RequestExpired", "check this host's clock: AWS refuses requests signed more than 5 minutes off" },
	{ "VPCIdNotSpecified", "this region has no default VPC: create one (aws ec2 create-default-vpc)" },
};

/* Prints err as the one line "annex: <message>" (with the fix of an AWS
 * error whose fix is known); a usage error adds the hint line, as GNU
 * tools do. */
static void main_print_err(const struct annex_err *err)
{
	fputs("annex: ", stderr);
	if (err->msg[0])
		main_put_line_safe(err->msg);
	else
		fprintf(stderr, "failed (%s)", err->code[0] ? err->code : "no message");
	for (size_t i = 0; i < sizeof(main_err_fixes) / sizeof(main_err_fixes[0]); i++)
		if (strcmp(err->code, main_err_fixes[i].code) == 0 && !strstr(err->msg, main_err_fixes[i].fix))
			fprintf(stderr, "; %s", main_err_fixes[i].fix);
	fputc('\n', stderr);
	if (strcmp(err->code, "Usage") == 0)
		fputs("Try 'annex -help' for more information.\n", stderr);
}

/* Runs the parsed command; returns 0 or -1 with err set, and the exit
 * status a command may choose itself (-config-val) in *status. */
static int main_dispatch(const struct annex_opts *o, int *status, struct annex_err *err)
{
	*status = 0;
	switch (o->command) {
	case CMD_HELP:
		if (fputs(o->help_all ? cli_usage_all() : cli_usage(), stdout) == EOF)
			return annex_err_set(err, "Output", "writing standard output: %s", strerror(errno));
		return 0;
	case CMD_VERSION:
		printf("annex %s\n", ANNEX_VERSION);
		return 0;
	case CMD_CONFIG_VAL: return cmd_config_val(o, status, err);
	case CMD_SETUP: return cmd_setup(o, err);
	case CMD_CHECK_SETUP: return cmd_check_setup(o, err);
	case CMD_LAUNCH: return cmd_launch(o, err);
	case CMD_LEASE: return cmd_lease(o, err);
	case CMD_STATUS: return cmd_status(o, err);
	case CMD_OFF: return cmd_off(o, err);
	case CMD_CONDOR_OFF: return cmd_condor_off(o, err);
	case CMD_REAP: return cmd_reap(o, err);
	case CMD_AUTO: return cmd_auto(o, err);
	case CMD_NONE:
		break;
	}
	return annex_err_set(err, "Internal", "no command to run");
}

int main(int argc, char **argv)
{
	struct annex_opts opts;
	struct annex_err err;
	int status = 1, failed;

	main_no_core_dumps();
	secret_alloc_init();
	annex_err_clear(&err);
	failed = cli_parse(argc, argv, &opts, &err) != 0 ||
		 main_dispatch(&opts, &status, &err) != 0;
	cli_opts_free(&opts);
	errno = 0;
	/* a write that failed when the buffer filled leaves nothing to flush:
	 * ferror catches it (-help is longer than stdio's buffer) */
	if ((fflush(stdout) != 0 || ferror(stdout)) && !failed) {
		annex_err_set(&err, "Output", "writing standard output: %s", strerror(errno ? errno : EIO));
		failed = 1;
	}
	if (failed) {
		/* a declined prompt has said everything already */
		if (strcmp(err.code, "Declined") != 0)
			main_print_err(&err);
		return 1;
	}
	return status;
}
