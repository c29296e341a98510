/* fuzz_config.c - libFuzzer target for the HTCondor config reader: the
 * input is parsed as a root config (no local files, no user config), then
 * every name it defined is looked up and expanded. Any crash, leak or
 * undefined behaviour is a bug; errors are expected. Built and run by
 * tests/fuzz/run.sh.
 *
 * fuzz-sources: src/config.c src/config_parse.c src/config_cond.c src/config_expand.c
 * fuzz-sources: src/config_macro.c src/config_eval.c src/config_text.c src/config_store.c
 * fuzz-sources: src/config_detect.c src/config_tables.c src/buf.c src/err.c
 */
#include "annex/config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_load_opts o;
	struct annex_config *cfg = NULL;
	struct annex_err err;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	memset(&o, 0, sizeof o);
	o.root_text = text;
	o.root_name = "/fuzz/condor_config";
	o.skip_user_config = 1;
	o.skip_local_config = 1;
	o.local_name = "us_east_1";
	annex_err_clear(&err);
	if (config_load(&cfg, &o, &err) == 0) {
		for (size_t i = 0; i < config_count(cfg); i++) {
			const char *name = config_name_at(cfg, i);
			char *v = NULL;
			long long n;
			int b;
			if (config_get(cfg, name, &v, &err) > 0 && !v)
				abort();
			free(v);
			(void)config_get_int(cfg, name, &n, &err);
			(void)config_get_bool(cfg, name, &b, &err);
			(void)config_is_configured(cfg, name);
			(void)config_source(cfg, name);
		}
		config_free(cfg);
	}
	free(text);
	return 0;
}
