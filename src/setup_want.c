/* setup_want.c - what this version of annex makes (setup_drift.h): the
 * roles, their policy documents, the lease function's zip and its hash.
 * -setup creates from these and -check-setup compares with them, so a
 * changed policy file or lease.py is drift for both at once. */
#include <openssl/evp.h>
#include <string.h>

#include "annex/setup_drift.h"
#include "annex/setupnames.h"

const struct setup_role_want setup_lease_role = {
	SETUP_LEASE_ROLE, "lease-function-trust.json", SETUP_LEASE_POLICY, "lease-function-policy.json",
	"annex lease function: ends expired annexes",
};
/* the nodes' role has no permission of its own (policies/ has no node-policy.json) */
const struct setup_role_want setup_node_role = {
	SETUP_NODE_ROLE, "node-trust.json", SETUP_NODE_POLICY, NULL, "annex execute nodes",
};
const struct setup_role_want setup_conn_role = {
	SETUP_CONN_ROLE, "connectivity-function-trust.json", SETUP_CONN_POLICY, "connectivity-function-policy.json",
	"annex connectivity function: asks the collector for its id",
};
const struct setup_role_want setup_fleet_role = {
	SETUP_FLEET_ROLE, "spot-fleet-trust.json", SETUP_FLEET_POLICY, "spot-fleet-policy.json",
	"annex Spot Fleets",
};

char *setup_policy_doc(const char *file, const char *partition, const char *region, const char *account,
		       struct annex_err *err)
{
	char *path = xasprintf("policies/%s", file);
	const struct annex_embedded *e = embedded_find(path);
	struct buf out = BUF_INIT;
	static const struct { const char *key; int which; } vars[] = {
		{ "${Partition}", 0 }, { "${Region}", 1 }, { "${AccountId}", 2 },
	};

	free(path);
	if (!e) {
		annex_err_set(err, "Internal", "policy document %s is not built into annex", file);
		return NULL;
	}
	for (size_t i = 0; i < e->len;) {
		size_t k;
		for (k = 0; k < sizeof(vars) / sizeof(vars[0]); k++) {
			size_t kl = strlen(vars[k].key);
			if (i + kl <= e->len && memcmp(e->data + i, vars[k].key, kl) == 0) {
				buf_puts(&out, vars[k].which == 0 ? partition : vars[k].which == 1 ? region : account);
				i += kl;
				break;
			}
		}
		if (k == sizeof(vars) / sizeof(vars[0]))
			buf_putc(&out, e->data[i++]);
	}
	return buf_steal(&out);
}

const struct annex_embedded *setup_function_zip(void)
{
	return embedded_find("lambda.zip");
}

void setup_function_sha256(char out[48])
{
	const struct annex_embedded *zip = setup_function_zip();
	unsigned char md[32];
	unsigned int len = 0;

	out[0] = 0;
	if (!zip || EVP_Digest(zip->data, zip->len, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
		return;
	EVP_EncodeBlock((unsigned char *)out, md, 32);
}
