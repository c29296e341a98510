/* Unit tests for trace.c: secrets fed through the tracer in every shape
 * never come out; what is not secret still does. */
#include "annex/trace.h"
#include "harness.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN "IQoJb3JpZ2luX2VjEXAMPLETOKEN//////////wEaCXVzLWVhc3QtMSJH"
#define SIG "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"

static char *redact(const char *in)
{
	const char *known[] = { SECRET, TOKEN };
	struct buf out = BUF_INIT;

	trace_redact(&out, in, strlen(in), known, 2);
	return buf_steal(&out);
}

/* The text traced through a FILE, as a reader of stderr would see it. */
static char *traced(const char *in, size_t max)
{
	const char *known[] = { SECRET, TOKEN };
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);

	trace_write(f, "annex: -> ", in, strlen(in), max, known, 2);
	fclose(f);
	return data;
}

static void no_secret(const char *s)
{
	CHECK(strstr(s, SECRET) == NULL);
	CHECK(strstr(s, "wJalrXUtnFEMI") == NULL);
	CHECK(strstr(s, "EXAMPLETOKEN") == NULL);
	CHECK(strstr(s, SIG) == NULL);
	CHECK(strstr(s, "5d672d79") == NULL);
}

static void t_authorization(void)
{
	char *s = redact("Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/ec2/"
			 "aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=" SIG "\n"
			 "X-Amz-Date: 20260101T000000Z\n");
	no_secret(s);
	CHECK(strstr(s, "AKIAIOSFODNN7EXAMPLE") == NULL);
	CHECK(strstr(s, "Credential=<redacted>/20260101/us-east-1/ec2/aws4_request") != NULL);
	CHECK(strstr(s, "SignedHeaders=content-type;host;x-amz-date") != NULL);
	CHECK(strstr(s, "Signature=<redacted>") != NULL);
	CHECK(strstr(s, "X-Amz-Date: 20260101T000000Z") != NULL);
	free(s);
}

static void t_headers(void)
{
	char *s = redact("x-amz-security-token: " TOKEN "\r\nHost: ec2.us-east-1.amazonaws.com\r\n");
	no_secret(s);
	CHECK(strstr(s, "x-amz-security-token: <redacted>\r\n") != NULL);
	CHECK(strstr(s, "Host: ec2.us-east-1.amazonaws.com") != NULL);
	free(s);
}

static void t_presigned_query(void)
{
	char *s = redact("GET https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token="
			 "IQoJb3JpZ2luX2VjEXAMPLETOKEN%2F%2F&X-Amz-Signature=" SIG "&X-Amz-Expires=60");
	no_secret(s);
	CHECK(strstr(s, "X-Amz-Expires=60") != NULL);
	CHECK(strstr(s, "X-Amz-Algorithm=AWS4-HMAC-SHA256") != NULL);
	free(s);
}

static void t_form_body(void)
{
	char *s = redact("Action=RunInstances&Version=2016-11-15&ImageId=ami-12345678&UserData=IyEvYmluL2Jhc2gKZWNobyBwb29s"
			 "&InstanceType=m5.large&LaunchSpecification.UserData=c2VjcmV0cGFzc3dvcmQ%3D&"
			 "SpotFleetRequestConfig.LaunchSpecifications.1.UserData=QUJD");
	CHECK(strstr(s, "IyEvYmluL2Jhc2g") == NULL);
	CHECK(strstr(s, "c2VjcmV0cGFzc3dvcmQ") == NULL);
	CHECK(strstr(s, "QUJD") == NULL);
	CHECK(strstr(s, "ImageId=ami-12345678") != NULL);
	CHECK(strstr(s, "&InstanceType=m5.large") != NULL);
	CHECK(strstr(s, "Action=RunInstances") != NULL);
	free(s);
}

static void t_xml_reply(void)
{
	char *s = redact("<CreateAccessKeyResponse><CreateAccessKeyResult><AccessKey><UserName>u</UserName>"
			 "<AccessKeyId>AKIAEXAMPLE2</AccessKeyId><Status>Active</Status>"
			 "<SecretAccessKey>" SECRET "</SecretAccessKey></AccessKey></CreateAccessKeyResult>"
			 "</CreateAccessKeyResponse>");
	no_secret(s);
	CHECK(strstr(s, "<SecretAccessKey><redacted></SecretAccessKey>") != NULL);
	CHECK(strstr(s, "<UserName>u</UserName>") != NULL);
	free(s);
	/* a secret that is not the live one, caught by its element name alone */
	s = redact("<Credentials><SessionToken>FwoGZXIvYXdzEOTHERTOKEN</SessionToken>"
		   "<SecretAccessKey>otherSecretValue123</SecretAccessKey></Credentials>"
		   "<keyMaterial>-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----</keyMaterial>"
		   "<userData xmlns=\"x\">IyEvYmlu</userData>");
	CHECK(strstr(s, "OTHERTOKEN") == NULL);
	CHECK(strstr(s, "otherSecretValue123") == NULL);
	CHECK(strstr(s, "MIIEpAIBAAKCAQEA") == NULL);
	CHECK(strstr(s, "IyEvYmlu") == NULL);
	free(s);
}

static void t_json(void)
{
	char *s = redact("{\"Credentials\": {\"AccessKeyId\": \"ASIA1\", \"SecretAccessKey\" : \"abc\\\"def\", "
			 "\"SessionToken\":\"tok\"}, \"Environment\": {\"Variables\": {\"POOL\": \"pw\", \"X\": \"y\"}}, "
			 "\"Code\": {\"ZipFile\": \"UEsDBBQAAAAIAAAA\"}, \"FunctionName\": \"f\"}");
	CHECK(strstr(s, "abc") == NULL);
	CHECK(strstr(s, "def") == NULL);
	CHECK(strstr(s, "tok\"") == NULL);
	CHECK(strstr(s, "\"pw\"") == NULL);
	CHECK(strstr(s, "UEsDBBQ") == NULL);
	CHECK(strstr(s, "\"FunctionName\": \"f\"") != NULL);
	CHECK(strstr(s, "\"AccessKeyId\": \"ASIA1\"") != NULL);
	free(s);
}

/* The live secrets are scrubbed wherever they appear, raw,
 * percent-encoded or JSON-escaped, even under an innocent name. */
static void t_known_literals(void)
{
	char *s = redact("Message=" SECRET "&Note=wJalrXUtnFEMI%2FK7MDENG%2BbPxRfiCYEXAMPLEKEY\n"
			 "{\"note\": \"wJalrXUtnFEMI\\/K7MDENG+bPxRfiCYEXAMPLEKEY\"}\nplain " TOKEN " text");
	no_secret(s);
	CHECK(strstr(s, "plain <redacted> text") != NULL);
	free(s);
}

static void t_trace_write(void)
{
	char *s = traced("POST https://iam.amazonaws.com/\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/x, "
			 "SignedHeaders=host, Signature=" SIG "\nX-Amz-Security-Token: " TOKEN "\n", 0);
	no_secret(s);
	CHECK(strncmp(s, "annex: -> POST https://iam.amazonaws.com/\nannex: -> Authorization: ", 67) == 0);
	free(s);
	/* a cut never splits a secret: the whole text is redacted first */
	s = traced("xxxxxxxxxx" SECRET "yyyy", 20);
	CHECK(strstr(s, "wJalr") == NULL);
	CHECK(strstr(s, "more bytes not shown") != NULL);
	free(s);
	/* binary bodies are counted, not shown */
	s = traced("PK\003\004\001\002\003\004\005\006\007\010", 0);
	CHECK_STR(s, "annex: -> <12 bytes, not text>\n");
	free(s);
}

/* traced() in a child that must finish within 5 s; returns its output
 * (NULL when it hung or crashed). */
static char *traced_bounded(const char *in, size_t max)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	int fds[2], status = 0;
	pid_t pid;

	if (pipe(fds) != 0)
		return NULL;
	pid = fork();
	if (pid == 0) {
		char *s;

		close(fds[0]);
		alarm(5);
		s = traced(in, max);
		if (write(fds[1], s, strlen(s)) < 0)
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	while (len < sizeof(buf) - 1 && (n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return NULL;
	buf[len] = 0;
	return strdup(buf);
}

/* A text whose shown part ends in a bare CR (a CRLF body cut between the
 * two, or a body ending in CR) is written once, without the CR. */
static void t_trace_write_cr(void)
{
	char *s = traced_bounded("abc\r", 0);

	CHECK_STR(s, "annex: -> abc\n");
	free(s);
	s = traced_bounded("line one\r\nline two\r\n", 9);
	CHECK_STR(s, "annex: -> line one\nannex: -> <11 more bytes not shown>\n");
	free(s);
}

TESTS(T(t_authorization), T(t_headers), T(t_presigned_query), T(t_form_body), T(t_xml_reply), T(t_json),
      T(t_known_literals), T(t_trace_write), T(t_trace_write_cr))
