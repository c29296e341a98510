"""sitecustomize.py - imported by the moto_server process that
tests/lib/motoserver.py starts (it puts this directory on PYTHONPATH), so
that moto 5.2.1 behaves like AWS where annex's tests depend on it.

- RunInstances with MinCount above 1 and an IamInstanceProfile: moto
  associates the profile with the first instance of the reservation only;
  AWS gives it to every instance. annex's ownership rule (docs/security.md,
  "Forged tags") reads the profile of every instance, so without this the
  second instance of a launch would look foreign.

Only ever loaded into moto_server; a moto without the patched methods is
left as it is.
"""
import threading

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
