/* fuzz_json.c - libFuzzer target for the JSON documents annex reads from
 * outside: the user's Spot Fleet config file (src/fleetconfig.c: loaded
 * from a file, checked, completed with annex's template and tags, and
 * serialized into query parameters as a launch and a dry run do) and the
 * credential documents (src/creds_util.c: credential_process output, the
 * IMDS role document). Input: one byte picking the decoder (0 fleet
 * config, 1 credential_process, 2 IMDS), then the document. (The JSON
 * replies of Lambda and EventBridge are fuzzed through their callers by
 * fuzz_replies.c.) Any crash, leak or undefined behaviour is a bug.
 *
 * fuzz-sources: src/fleetconfig.c src/ec2_shapes.c src/params.c src/creds_util.c
 * fuzz-sources: src/timefmt.c src/buf.c src/err.c
 * fuzz-max-len: 8192
 */
#include "annex/creds_util.h"
#include "annex/fleetconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_fleet(const uint8_t *data, size_t size)
{
	static const struct fleet_tag tags[] = {
		{ "htcondor:AnnexName", "fuzz" }, { "htcondor:AnnexId", "fuzz_0123" },
		{ "htcondor:LeaseExpiration", "2030-01-01T00:00:00Z" },
	};
	static const struct fleet_tag node_tags[] = { { "team", "x" } };
	struct fleet_settings fs;
	struct annex_err err;
	json_object *cfg = NULL, *versions = NULL;
	char path[64];
	int fd = memfd_create("fleet.json", 0);

	if (fd < 0)
		return;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	annex_err_clear(&err);
	if (fleetconfig_load(path, &cfg, &err) != 0) {
		close(fd);
		if (cfg || !err.msg[0])
			abort();
		return;
	}
	close(fd);
	(void)fleetconfig_uses_templates(cfg);
	(void)fleetconfig_first_type(cfg);
	(void)fleetconfig_type(cfg);
	memset(&fs, 0, sizeof(fs));
	fs.target_capacity = 3;
	fs.fleet_type = "request";
	fs.fleet_role_arn = "arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role";
	fs.valid_until = "2030-01-01T00:00:00Z";
	fs.client_token = "fuzz_0123";
	fs.template_name = "htcondor-annex-fuzz_0123";
	fs.image_id = size & 1 ? "ami-0123456789abcdef0" : NULL;
	fs.user_data_b64 = "IyEvYmluL3NoCg==";
	fs.instance_profile_arn = "arn:aws:iam::123456789012:instance-profile/p";
	fs.security_group_ids = "sg-1,sg-2";
	fs.key_name = size & 2 ? "key" : NULL;
	fs.tags = tags;
	fs.n_tags = 3;
	fs.node_tags = node_tags;
	fs.n_node_tags = 1;
	if (fleetconfig_apply(cfg, &fs, &versions, &err) == 0) {
		struct params p = PARAMS_INIT;
		(void)fleetconfig_to_params(cfg, &p, &err);
		params_free(&p);
		for (size_t i = 0; versions && i < json_object_array_length(versions); i++) {
			(void)fleetconfig_template_params(json_object_array_get_idx(versions, i), &p, &err);
			params_free(&p);
		}
	} else if (!err.msg[0]) {
		abort();
	}
	fleetconfig_cleanse(versions);
	json_object_put(versions);
	json_object_put(cfg);
}

static void fuzz_creds(const uint8_t *data, size_t size, int is_imds)
{
	struct aws_creds c;
	struct annex_err err;

	memset(&c, 0, sizeof(c));
	annex_err_clear(&err);
	if (creds_parse_json((const char *)data, size, is_imds, "fuzz", &c, &err) == 0) {
		if (!c.access_key_id || !*c.access_key_id || !c.secret_access_key || !*c.secret_access_key)
			abort();
	} else if (c.access_key_id || c.secret_access_key || c.session_token || !err.msg[0]) {
		abort();
	}
	free(c.access_key_id);
	secret_free(c.secret_access_key);
	secret_free(c.session_token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0: fuzz_fleet(data + 1, size - 1); break;
	case 1: fuzz_creds(data + 1, size - 1, 0); break;
	default: fuzz_creds(data + 1, size - 1, 1); break;
	}
	return 0;
}
