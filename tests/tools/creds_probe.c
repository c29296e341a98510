/* creds_probe - resolves AWS credentials through the chain and prints what
 * a test may see: the source, the kind, the access key id, and the first 12
 * hex digits of the SHA-256 of the secret key (and of the session token),
 * never a secret itself. Exit 0 on success; on failure prints
 * "error: CODE: message" on stderr and exits 1.
 *
 *   creds_probe [-aws-access-key-file F] [-aws-secret-key-file F]
 *               [-knob-access-key-file F] [-knob-secret-key-file F]
 *               [-setup] [-passwd-home DIR]
 * Options win over knobs per file, as annex's commands do.
 */
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "annex/creds.h"

static const char *kind_name(enum creds_kind k)
{
	switch (k) {
	case CREDS_KEY_FILES: return "key-files";
	case CREDS_CONDOR_DEFAULT: return "condor-default";
	case CREDS_ENV: return "env";
	case CREDS_SHARED_FILE: return "shared-file";
	case CREDS_PROCESS: return "process";
	case CREDS_INSTANCE_ROLE: return "instance-role";
	default: return "none";
	}
}

static void hash_prefix(const char *s, char out[13])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)s, strlen(s), md);
	for (int i = 0; i < 6; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int main(int argc, char **argv)
{
	struct creds_opts o;
	struct aws_creds c;
	struct annex_err err;
	const char *knob_a = NULL, *knob_s = NULL;
	char h[13];

	memset(&o, 0, sizeof(o));
	annex_err_clear(&err);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-setup")) {
			o.try_condor_default_pair = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "creds_probe: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "-aws-access-key-file")) {
			o.access_key_file = v;
			o.access_key_origin = a;
		} else if (!strcmp(a, "-aws-secret-key-file")) {
			o.secret_key_file = v;
			o.secret_key_origin = a;
		} else if (!strcmp(a, "-knob-access-key-file")) {
			knob_a = v;
		} else if (!strcmp(a, "-knob-secret-key-file")) {
			knob_s = v;
		} else if (!strcmp(a, "-passwd-home")) {
			o.passwd_home = v;
		} else {
			fprintf(stderr, "creds_probe: unknown option %s\n", a);
			return 2;
		}
	}
	if (!o.access_key_file && knob_a) {
		o.access_key_file = knob_a;
		o.access_key_origin = "ANNEX_DEFAULT_ACCESS_KEY_FILE";
	}
	if (!o.secret_key_file && knob_s) {
		o.secret_key_file = knob_s;
		o.secret_key_origin = "ANNEX_DEFAULT_SECRET_KEY_FILE";
	}
	if (creds_resolve(&o, &c, &err) != 0) {
		fprintf(stderr, "error: %s: %s\n", err.code, err.msg);
		return 1;
	}
	printf("source: %s\n", c.source);
	printf("kind: %s\n", kind_name(c.kind));
	printf("access_key_id: %s\n", c.access_key_id);
	hash_prefix(c.secret_access_key, h);
	printf("secret_sha256: %s\n", h);
	if (c.session_token) {
		hash_prefix(c.session_token, h);
		printf("token_sha256: %s\n", h);
	} else {
		printf("token_sha256: none\n");
	}
	printf("expiration: %lld\n", (long long)c.expiration);
	if (c.access_key_path)
		printf("key_files: %s %s\n", c.access_key_path, c.secret_key_path);
	creds_free(&c);
	return 0;
}
