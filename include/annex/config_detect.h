/* config_detect.h - HTCondor's detected built-in knobs (config_detect.c).
 * Not part of the public interface. */
#ifndef ANNEX_CONFIG_DETECT_H
#define ANNEX_CONFIG_DETECT_H

#include "annex/config_store.h"

/* Defines name = value as a detected built-in; nothing when value is NULL. */
void cfg_detect(struct cfg_store *cfg, const char *name, const char *value);

/* Defines every built-in: host names and addresses, the user and ids, the
 * machine, the processor count, SUBSYSTEM and (when set) LOCALNAME. */
void cfg_detect_all(struct cfg_store *cfg);

#endif
