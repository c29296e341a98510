/* test_autoplan.c - -auto's packing (autoplan.c): cheapest per job first,
 * capacity on its way taken first, jobs no type holds never launched for,
 * and the two bounds. Shapes are the recorded condor_q's
 * (../shared/htcondor-recorded/condor_q/idle-af.txt); sizes and prices are
 * moto's and us-east-1's on-demand ones, memory less a 1024 MiB reserve. */
#include "annex/autoplan.h"
#include "harness.h"

static const struct autoplan_cap M5L = { 2, 8192 - 1024, 0, "x86_64" };     /* m5.large $0.096 */
static const struct autoplan_cap C5L = { 2, 4096 - 1024, 0, "x86_64" };     /* c5.large $0.085 */
static const struct autoplan_cap M5XL = { 4, 16384 - 1024, 0, "x86_64" };   /* m5.xlarge $0.192 */
static const struct autoplan_cap G4DN2 = { 8, 32768 - 1024, 1, "x86_64" };  /* g4dn.2xlarge $0.752 */
static const struct autoplan_cap G4DN4 = { 16, 65536 - 1024, 1, "x86_64" }; /* g4dn.4xlarge $1.204 */
static const struct autoplan_cap M6GL = { 2, 8192 - 1024, 0, "arm64" };     /* m6g.large $0.077 */

static void recorded_jobs(struct autoplan *p)
{
	autoplan_add_jobs(p, 1, 2048, 0, "x86_64", 10);
	autoplan_add_jobs(p, 8, 32768, 1, "x86_64", 3);
	autoplan_add_jobs(p, 192, 2097152, 0, "x86_64", 2);
}

static const struct autoplan_shape *shape(const struct autoplan *p, long cpus)
{
	for (size_t i = 0; i < p->n_shapes; i++)
		if (p->shapes[i].cpus == cpus)
			return &p->shapes[i];
	return NULL;
}

static void t_empty(void)
{
	struct autoplan p;

	autoplan_init(&p);
	autoplan_add_type(&p, "m5.large", &M5L, 1, 0.096);
	p.max_new = 10;
	autoplan_run(&p);
	CHECK_INT(p.n_new, 0);
	CHECK_INT(p.stopped, AUTOPLAN_UNBOUND);
	CHECK(p.worst_usd == 0);
	autoplan_free(&p);
}

/* Ten 1-CPU 2 GB jobs: m5.large takes 2 ($0.048 a job), c5.large 1
 * ($0.085), m5.xlarge 4 ($0.048, and more jobs: it wins the tie). */
static void t_burst_small(void)
{
	struct autoplan p;

	autoplan_init(&p);
	autoplan_add_jobs(&p, 1, 2048, 0, "x86_64", 6);
	autoplan_add_jobs(&p, 1, 2048, 0, "x86_64", 4);   /* merged */
	CHECK_INT(p.n_shapes, 1);
	autoplan_add_type(&p, "c5.large", &C5L, 1, 0.085);
	autoplan_add_type(&p, "m5.large", &M5L, 1, 0.096);
	autoplan_add_type(&p, "m5.xlarge", &M5XL, 1, 0.192);
	p.max_new = 100;
	p.hours = 2;
	autoplan_run(&p);
	/* 4 + 4 on m5.xlarge, then the last 2 fit one m5.large at $0.048 a job
	 * (an m5.xlarge would take 2 at $0.096 a job) */
	CHECK_INT(p.types[2].launch, 2);
	CHECK_INT(p.types[1].launch, 1);
	CHECK_INT(p.types[0].launch, 0);
	CHECK_INT(p.n_new, 3);
	CHECK(p.worst_usd > 0.959 && p.worst_usd < 0.961);   /* (2 x 0.192 + 0.096) x 2 */
	CHECK_INT(p.shapes[0].placed, 10);
	CHECK_INT(p.shapes[0].left, 0);
	autoplan_free(&p);
}

/* GPU jobs go to a GPU type that holds them (32768 MB is more than a
 * g4dn.2xlarge's startd offers: its memory less the reserve); the small
 * jobs ride in their spare room; the 2 TB jobs are too big for any type. */
static void t_gpu_and_too_big(void)
{
	struct autoplan p;

	autoplan_init(&p);
	recorded_jobs(&p);
	autoplan_add_type(&p, "m5.large", &M5L, 1, 0.096);
	autoplan_add_type(&p, "g4dn.2xlarge", &G4DN2, 1, 0.752);
	autoplan_add_type(&p, "g4dn.4xlarge", &G4DN4, 1, 1.204);
	p.max_new = 100;
	p.hours = 1;
	autoplan_run(&p);
	CHECK_INT(p.shapes[0].gpus, 1);                     /* largest first */
	CHECK_INT(shape(&p, 8)->why, AUTOPLAN_OK);
	CHECK_INT(shape(&p, 8)->placed, 3);
	CHECK_INT(shape(&p, 192)->why, AUTOPLAN_TOO_BIG);
	CHECK_INT(shape(&p, 192)->left, 2);
	CHECK_INT(shape(&p, 192)->placed, 0);
	CHECK_INT(shape(&p, 1)->placed, 10);
	CHECK_INT(p.types[2].launch, 3);                   /* 8 spare CPUs each: 24 small jobs' room */
	CHECK_INT(p.types[1].launch, 0);
	CHECK_INT(p.types[0].launch, 0);
	CHECK(p.worst_usd > 3.611 && p.worst_usd < 3.613);
	CHECK_INT(p.stopped, AUTOPLAN_UNBOUND);
	autoplan_free(&p);
}

/* A GPU job no GPU type can take is too big; with only plain types. */
static void t_gpu_without_gpu_type(void)
{
	struct autoplan p;

	autoplan_init(&p);
	recorded_jobs(&p);
	autoplan_add_type(&p, "m5.xlarge", &M5XL, 1, 0.192);
	p.max_new = 100;
	autoplan_run(&p);
	CHECK_INT(shape(&p, 8)->why, AUTOPLAN_TOO_BIG);
	CHECK_INT(shape(&p, 8)->left, 3);
	CHECK_INT(p.types[0].launch, 3);    /* 10 small jobs, 4 a node */
	autoplan_free(&p);
}

static void t_arch_and_unpriced(void)
{
	struct autoplan p;

	autoplan_init(&p);
	recorded_jobs(&p);
	autoplan_add_jobs(&p, 1, 128, 0, "arm64", 2);
	autoplan_add_type(&p, "m6g.large", &M6GL, 1, 0.077);
	autoplan_add_type(&p, "g4dn.4xlarge", &G4DN4, 0, 0);
	p.max_new = 100;
	autoplan_run(&p);
	CHECK_INT(shape(&p, 8)->why, AUTOPLAN_UNPRICED);      /* only the unpriced GPU type holds it */
	CHECK_INT(shape(&p, 192)->why, AUTOPLAN_TOO_BIG);
	for (size_t i = 0; i < p.n_shapes; i++)
		if (p.shapes[i].cpus == 1 && p.shapes[i].memory_mb == 2048)
			CHECK_INT(p.shapes[i].why, AUTOPLAN_UNPRICED);   /* x86 jobs: only the unpriced g4dn */
		else if (p.shapes[i].cpus == 1)
			CHECK_INT(p.shapes[i].placed, 2);           /* arm64 jobs on m6g.large */
	CHECK_INT(p.types[0].launch, 1);
	CHECK_INT(p.types[1].launch, 0);
	autoplan_free(&p);
	autoplan_init(&p);
	autoplan_add_jobs(&p, 1, 128, 0, "arm64", 2);
	autoplan_add_type(&p, "m5.large", &M5L, 1, 0.096);
	p.max_new = 5;
	autoplan_run(&p);
	CHECK_INT(p.shapes[0].why, AUTOPLAN_NO_ARCH);
	CHECK_INT(p.n_new, 0);
	autoplan_free(&p);
}

/* Capacity on its way is filled first: a second run with nothing changed
 * launches nothing. */
static void t_on_way(void)
{
	struct autoplan p;

	autoplan_init(&p);
	autoplan_add_jobs(&p, 1, 2048, 0, "x86_64", 10);
	autoplan_add_type(&p, "m5.xlarge", &M5XL, 1, 0.192);
	for (int i = 0; i < 3; i++)
		autoplan_add_on_way(&p, &M5XL);
	p.max_new = 10;
	autoplan_run(&p);
	CHECK_INT(p.n_new, 0);
	CHECK_INT(p.shapes[0].on_way, 10);
	/* two on the way: two more jobs need one more instance */
	p.n_on_way = 2;
	autoplan_run(&p);
	CHECK_INT(p.n_new, 1);
	CHECK_INT(p.shapes[0].on_way, 8);
	CHECK_INT(p.shapes[0].placed, 2);
	/* arm64 capacity on its way takes no x86_64 job */
	p.n_on_way = 0;
	autoplan_add_on_way(&p, &M6GL);
	autoplan_run(&p);
	CHECK_INT(p.shapes[0].on_way, 0);
	CHECK_INT(p.n_new, 3);
	autoplan_free(&p);
}

static void t_bounds(void)
{
	struct autoplan p;

	autoplan_init(&p);
	autoplan_add_jobs(&p, 1, 2048, 0, "x86_64", 10);
	autoplan_add_type(&p, "m5.large", &M5L, 1, 0.096);
	p.max_new = 2;
	p.hours = 10;
	autoplan_run(&p);
	CHECK_INT(p.n_new, 2);
	CHECK_INT(p.stopped, AUTOPLAN_MAX_INSTANCES);
	CHECK_INT(p.shapes[0].placed, 4);
	CHECK_INT(p.shapes[0].left, 6);
	/* $3.00 over 10 h: 3 x $0.96 fit, a fourth would be $3.84 */
	p.max_new = 100;
	p.max_cost_usd = 3.0;
	autoplan_run(&p);
	CHECK_INT(p.n_new, 3);
	CHECK_INT(p.stopped, AUTOPLAN_MAX_COST);
	CHECK(p.worst_usd > 2.879 && p.worst_usd < 2.881);
	/* exactly the budget is within it */
	p.max_cost_usd = 2.88;
	autoplan_run(&p);
	CHECK_INT(p.n_new, 3);
	/* no room at all */
	p.max_new = 0;
	autoplan_run(&p);
	CHECK_INT(p.n_new, 0);
	CHECK_INT(p.stopped, AUTOPLAN_MAX_INSTANCES);
	CHECK_INT(p.shapes[0].left, 10);
	autoplan_free(&p);
}

TESTS(T(t_empty), T(t_burst_small), T(t_gpu_and_too_big), T(t_gpu_without_gpu_type), T(t_arch_and_unpriced),
      T(t_on_way), T(t_bounds))
