/* config_detect.c - the built-in knobs HTCondor computes when it starts
 * (FULL_HOSTNAME, HOSTNAME, IP_ADDRESS, USERNAME, ARCH, OPSYS,
 * DETECTED_CPUS, ...), defined in a config store with the source
 * "<Detected>", so that a config file may use and override them. */
#include "annex/config_detect.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

void cfg_detect(struct cfg_store *cfg, const char *name, const char *value)
{
	if (value)
		cfg_store_set(cfg, name, value, "<Detected>", CFG_ORIGIN_DETECTED);
}

/* IP_ADDRESS, IPV4_ADDRESS, IPV6_ADDRESS: the first address of an up,
 * non-loopback interface (IPv6: not link-local); 127.0.0.1 when none. */
static void detect_addresses(struct cfg_store *cfg)
{
	struct ifaddrs *ifa = NULL;
	char v4[INET_ADDRSTRLEN] = "", v6[INET6_ADDRSTRLEN] = "";

	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
			if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
				continue;
			if (i->ifa_addr->sa_family == AF_INET && !v4[0]) {
				inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, v4, sizeof v4);
			} else if (i->ifa_addr->sa_family == AF_INET6 && !v6[0]) {
				struct in6_addr *a = &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;
				if (!IN6_IS_ADDR_LINKLOCAL(a))
					inet_ntop(AF_INET6, a, v6, sizeof v6);
			}
		}
		freeifaddrs(ifa);
	}
	cfg_detect(cfg, "IP_ADDRESS", v4[0] ? v4 : v6[0] ? v6 : "127.0.0.1");
	cfg_detect(cfg, "IPV4_ADDRESS", v4[0] ? v4 : NULL);
	cfg_detect(cfg, "IPV6_ADDRESS", v6[0] ? v6 : NULL);
}

void cfg_detect_all(struct cfg_store *cfg)
{
	char host[256] = "", tmp[64];
	struct passwd *pw;
	struct utsname un;

	if (gethostname(host, sizeof host - 1) != 0 || !host[0])
		snprintf(host, sizeof host, "localhost");
	cfg_detect(cfg, "FULL_HOSTNAME", host);
	char *dot = strchr(host, '.');
	if (dot)
		*dot = 0;
	cfg_detect(cfg, "HOSTNAME", host);
	detect_addresses(cfg);
	pw = getpwnam("condor");
	if (pw && pw->pw_dir)
		cfg_detect(cfg, "TILDE", pw->pw_dir);
	pw = getpwuid(geteuid());
	if (pw && pw->pw_name) {
		cfg_detect(cfg, "USERNAME", pw->pw_name);
	} else {
		snprintf(tmp, sizeof tmp, "%u", (unsigned)geteuid());
		cfg_detect(cfg, "USERNAME", tmp);
	}
	cfg_detect(cfg, "CondorIsAdmin", geteuid() == 0 ? "true" : "false");
	snprintf(tmp, sizeof tmp, "%ld", (long)getpid());
	cfg_detect(cfg, "PID", tmp);
	snprintf(tmp, sizeof tmp, "%ld", (long)getppid());
	cfg_detect(cfg, "PPID", tmp);
	snprintf(tmp, sizeof tmp, "%u", (unsigned)getuid());
	cfg_detect(cfg, "REAL_UID", tmp);
	snprintf(tmp, sizeof tmp, "%u", (unsigned)getgid());
	cfg_detect(cfg, "REAL_GID", tmp);
	if (uname(&un) == 0) {
		cfg_detect(cfg, "UNAME_ARCH", un.machine);
		cfg_detect(cfg, "UNAME_OPSYS", un.sysname);
		cfg_detect(cfg, "ARCH", strcmp(un.machine, "x86_64") == 0 ? "X86_64" :
			   strcmp(un.machine, "aarch64") == 0 ? "aarch64" : un.machine);
	}
	cfg_detect(cfg, "OPSYS", "LINUX");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	snprintf(tmp, sizeof tmp, "%ld", cpus > 0 ? cpus : 1);
	cfg_detect(cfg, "DETECTED_CPUS", tmp);
	cfg_detect(cfg, "DETECTED_CORES", tmp);
	cfg_detect(cfg, "SUBSYSTEM", cfg->subsys);
	if (cfg->localname)
		cfg_detect(cfg, "LOCALNAME", cfg->localname);
}
