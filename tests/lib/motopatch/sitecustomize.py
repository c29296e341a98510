"""sitecustomize.py - imported by the moto_server process that
tests/lib/motoserver.py starts (it puts this directory on PYTHONPATH), so
that moto 5.2.1 behaves like AWS where annex's tests depend on it.

- RunInstances with MinCount above 1 and an IamInstanceProfile: moto
  associates the profile with the first instance of the reservation only;
  AWS gives it to every instance. annex's ownership rule (docs/security.md,
  "Forged tags") reads the profile of every instance, so without this the
  second instance of a launch would look foreign.

- CreateFleet of type instant (annex's EC2 Fleet back-end): moto puts
  every instance on the first override, gives the instances neither the
  launch template's IamInstanceProfile nor the `aws:ec2:fleet-id` tag that
  EC2 sets, keeps no ClientToken and never reports a per-type error. Here
  the instances get the template's profile and that tag, the fleet keeps
  its ClientToken (DescribeFleets shows it), and the capacity is filled as
  AWS fills it for a fleet with unlimited capacity: on-demand
  `prioritized` in Priority order, otherwise the overrides in the order
  sent (AWS would pick the cheapest or the most available pool; moto has
  no prices). Test-only: the server's environment variable
  ANNEX_MOTO_FLEET_ERRORS="TYPE:MARKET:CODE[:N],..." makes the pool
  (TYPE, MARKET) (market spot or on-demand) fail with CODE after N
  instances (default 0), reported in the reply's Errors as AWS reports
  them; the fleet then goes on to the next override. The tests pass it per
  server (MotoServer(env=...)); "@FILE" names a file holding that value,
  read at every CreateFleet, so that one server serves several cases.

Only ever loaded into moto_server; a moto without the patched methods is
left as it is.
"""
import math
import os
import threading
from collections import defaultdict

try:
    from moto.ec2.models.iam_instance_profile import IamInstanceProfileAssociationBackend
    from moto.ec2.models.instances import InstanceBackend
except Exception:  # noqa: BLE001 - not moto's interpreter, or another moto
    IamInstanceProfileAssociationBackend = InstanceBackend = None

if IamInstanceProfileAssociationBackend is not None and InstanceBackend is not None:
    _last = threading.local()
    _run_instances = InstanceBackend.run_instances
    _associate = IamInstanceProfileAssociationBackend.associate_iam_instance_profile

    def run_instances(self, *args, **kwargs):
        reservation = _run_instances(self, *args, **kwargs)
        _last.instances = list(getattr(reservation, "instances", []))
        return reservation

    def associate_iam_instance_profile(self, instance_id, *args, **kwargs):
        result = _associate(self, instance_id, *args, **kwargs)
        rest = getattr(_last, "instances", [])
        if rest and rest[0].id == instance_id:
            _last.instances = []
            for inst in rest[1:]:
                if inst.id not in self.iam_instance_profile_associations:
                    _associate(self, inst.id, *args, **kwargs)
        return result

    InstanceBackend.run_instances = run_instances
    IamInstanceProfileAssociationBackend.associate_iam_instance_profile = associate_iam_instance_profile


try:
    from moto.ec2.models.fleets import Fleet, FleetsBackend
    from moto.ec2.responses.fleets import Fleets
except Exception:  # noqa: BLE001 - not moto's interpreter, or another moto
    Fleet = FleetsBackend = Fleets = None

FLEET_ERROR_MESSAGES = {
    "InsufficientInstanceCapacity": "We currently do not have sufficient %s capacity in the Availability Zone "
                                    "you requested. Our system will be working on provisioning additional capacity.",
    "MaxSpotInstanceCountExceeded": "Max spot instance count exceeded",
    "Unsupported": "The requested configuration is currently not supported. Please check the documentation for "
                   "supported configurations.",
}


def fleet_failures():
    """(type, market) -> (code, instances before the failure), from
    ANNEX_MOTO_FLEET_ERRORS."""
    out = {}
    spec = os.environ.get("ANNEX_MOTO_FLEET_ERRORS", "")
    if spec.startswith("@"):   # @FILE: read at every CreateFleet, so one server serves many cases
        try:
            with open(spec[1:]) as f:
                spec = f.read().strip()
        except OSError:
            spec = ""
    for entry in spec.split(","):
        parts = entry.strip().split(":")
        if len(parts) >= 3:
            out[(parts[0], parts[1])] = (parts[2], int(parts[3]) if len(parts) > 3 and parts[3] else 0)
    return out


if Fleet is not None and Fleets is not None:
    _fleet_init = Fleet.__init__
    _spot_requests = Fleet.create_spot_requests
    _on_demand_requests = Fleet.create_on_demand_requests
    _launch_spec_counts = Fleet.get_launch_spec_counts
    _create_fleet_response = Fleets.create_fleet
    _pending = threading.local()

    def fleet_init(self, *args, **kwargs):
        self._annex_errors = []
        self.client_token = getattr(_pending, "client_token", None)
        _fleet_init(self, *args, **kwargs)
        if self.fleet_type != "instant":
            return
        backend = self.ec2_backend
        pairs = [(r.instance, r.launch_spec) for r in self.spot_requests]
        pairs += [(i["instance"], i.get("launch_spec")) for i in self.on_demand_instances]
        for instance, spec in pairs:
            backend.create_tags([instance.id], {"aws:ec2:fleet-id": self.id})
            # moto's fleet wraps the template's {"Arn": ...} once more
            profile = getattr(spec, "iam_instance_profile", None) or {}
            while isinstance(profile.get("Arn"), dict):
                profile = profile["Arn"]
            arn, name = profile.get("Arn"), profile.get("Name")
            if (arn or name) and instance.id not in backend.iam_instance_profile_associations:
                globals()["_associate"](backend, instance.id, iam_instance_profile_name=name,
                                        iam_instance_profile_arn=arn)

    def create_spot_requests(self, weight_to_add):
        self._annex_market = "spot"
        return _spot_requests(self, weight_to_add)

    def create_on_demand_requests(self, weight_to_add):
        self._annex_market = "on-demand"
        return _on_demand_requests(self, weight_to_add)

    def get_launch_spec_counts(self, weight_to_add):
        if self.fleet_type != "instant":
            return _launch_spec_counts(self, weight_to_add)
        market = getattr(self, "_annex_market", "on-demand")
        specs = list(self.launch_specs)
        if market == "on-demand" and (self.on_demand_options or {}).get("AllocationStrategy") == "prioritized":
            specs.sort(key=lambda sp: float((sp.overrides or {}).get("Priority", math.inf)))
        failures = fleet_failures()
        remaining = int(weight_to_add)
        weight_map = defaultdict(int)
        for spec in specs:
            if remaining <= 0:
                break
            n = remaining
            failure = failures.get((spec.instance_type, market))
            if failure:
                code, n = failure[0], min(failure[1], remaining)
                message = FLEET_ERROR_MESSAGES.get(code, code)
                self._annex_errors.append({
                    "LaunchTemplateAndOverrides": {
                        "LaunchTemplateSpecification": spec.launch_template_spec,
                        "Overrides": {"InstanceType": spec.instance_type},
                    },
                    "Lifecycle": market,
                    "ErrorCode": code,
                    "ErrorMessage": message % (spec.instance_type,) if "%s" in message else message,
                })
            if n > 0:
                weight_map[spec] += n
                remaining -= n
        return weight_map, float(int(weight_to_add) - remaining)

    def create_fleet_response(self):
        _pending.client_token = self._get_param("ClientToken")
        try:
            result = _create_fleet_response(self)
        finally:
            _pending.client_token = None
        body = getattr(result, "result", None)
        if isinstance(body, dict) and body.get("FleetId"):
            fleet = self.ec2_backend.fleets.get(body["FleetId"])
            if fleet is not None and fleet._annex_errors:
                body["Errors"] = fleet._annex_errors
        return result

    _fleet_terminate = Fleet.terminate_instances

    def fleet_terminate_instances(self):
        # moto asks TerminateInstances for no instance (and fails) when
        # every instance of the fleet has already ended; AWS deletes it
        def alive(req):
            inst = getattr(req, "instance", None) or (req.get("instance") if isinstance(req, dict) else None)
            return inst is not None and inst.state != "terminated"
        if any(alive(r) for r in self.spot_requests + self.on_demand_instances):
            _fleet_terminate(self)

    Fleet.terminate_instances = fleet_terminate_instances
    Fleet.__init__ = fleet_init
    Fleet.create_spot_requests = create_spot_requests
    Fleet.create_on_demand_requests = create_on_demand_requests
    Fleet.get_launch_spec_counts = get_launch_spec_counts
    Fleets.create_fleet = create_fleet_response
