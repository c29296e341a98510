/* test_dryrun.c - the -dry-run lines (dryrun.c): the call, its parameters,
 * and every secret blanked as the -debug trace blanks it. */
#include <stdlib.h>

#include "annex/dryrun.h"
#include "harness.h"

static void t_line(void)
{
	char *l = dryrun_line("EC2", "TerminateInstances", "InstanceId.1=%s InstanceId.2=%s", "i-1", "i-2");
	CHECK_STR(l, "dry-run: would call EC2 TerminateInstances InstanceId.1=i-1 InstanceId.2=i-2\n");
	free(l);
	l = dryrun_line("S3", "DeleteBucket", NULL);
	CHECK_STR(l, "dry-run: would call S3 DeleteBucket\n");
	free(l);
}

static void t_line_redacts(void)
{
	char *l = dryrun_line("Lambda", "CreateFunction", "FunctionName=f ZipFile=UEsDBBQ Input={\"Variables\": {\"K\": \"v\"}} "
			      "LaunchSpecifications.1.UserData=c2VjcmV0");
	CHECK_STR(l, "dry-run: would call Lambda CreateFunction FunctionName=f ZipFile=<redacted> "
		  "Input={\"Variables\": <redacted>} LaunchSpecifications.1.UserData=<redacted>\n");
	free(l);
}

static void t_params(void)
{
	struct params p = PARAMS_INIT;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	params_add(&p, "ImageId", "ami-1");
	params_add(&p, "UserData", "c2VjcmV0LXBhc3N3b3Jk");
	params_add(&p, "TagSpecification.1.Tag.1.Value", "render");
	dryrun_params(f, "EC2", "RunInstances", &p);
	fclose(f);
	CHECK_STR(text, "dry-run: would call EC2 RunInstances with:\n  ImageId=ami-1\n  UserData=<redacted>\n"
		  "  TagSpecification.1.Tag.1.Value=render\n");
	free(text);
	params_free(&p);
}

TESTS(T(t_line), T(t_line_redacts), T(t_params))
