import enum


class Role(enum.StrEnum):
    ADMIN = "admin"  # everything, including users, audit log and settings
    FUNDRAISER = "fundraiser"  # contacts, gifts, campaigns, receipts, reports
    COORDINATOR = "coordinator"  # contacts, events, trainings, volunteer shifts
    VOLUNTEER = "volunteer"  # own profile, shifts and hours only

    @property
    def label(self) -> str:
        return self.value.capitalize()


STAFF_ROLES = frozenset({Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR})
