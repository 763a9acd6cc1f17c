"""The agency tree figures roll up along: Agency.parent where set, else the administrative
tree (a commune's agencies roll up to the commune People's Committee, which rolls up to the
People's Committee of the unit above)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache

from egov.org.models import AdministrativeUnit, Agency

CACHE_KEY = "stats:agency-tree:v2"
COMMITTEE = "Ủy ban nhân dân"
CACHE_SECONDS = 60


@dataclass
class Node:
    id: int
    name: str
    abbreviation: str
    identifier: str
    parent_id: int | None
    children: list[int] = field(default_factory=list)
    label: str = ""  # short, and still telling agencies apart (see short_labels)


@dataclass
class AgencyTree:
    nodes: dict[int, Node]

    def subtree(self, agency_id: int) -> set[int]:
        """The agency and every agency below it."""
        found: set[int] = set()
        stack = [agency_id]
        while stack:
            current = stack.pop()
            if current in found or current not in self.nodes:
                continue
            found.add(current)
            stack.extend(self.nodes[current].children)
        return found

    def children(self, agency_id: int | None) -> list[int]:
        if agency_id is None:
            return self.roots()
        node = self.nodes.get(agency_id)
        return list(node.children) if node else []

    def roots(self) -> list[int]:
        return sorted(
            (n.id for n in self.nodes.values() if n.parent_id is None),
            key=lambda i: self.nodes[i].identifier,
        )

    def ancestors(self, agency_id: int) -> list[int]:
        """From the top of the tree down to the agency's parent."""
        path: list[int] = []
        current = self.nodes[agency_id].parent_id if agency_id in self.nodes else None
        while current is not None and current not in path:
            path.append(current)
            current = self.nodes[current].parent_id
        return list(reversed(path))

    def name(self, agency_id: int) -> str:
        node = self.nodes.get(agency_id)
        return node.name if node else f"#{agency_id}"

    def label(self, agency_id: int) -> str:
        """The short name for a chart's axis ("UBND phường Hạ Long", "Sở Tư pháp"); the full
        name where shortening would make two agencies read the same."""
        node = self.nodes.get(agency_id)
        return (node.label or node.name) if node else f"#{agency_id}"

    def roll_up(self, top: list[int], values: dict[int, int]) -> dict[int, int]:
        """Sum per-agency values over each top agency's subtree."""
        return {t: sum(values.get(a, 0) for a in self.subtree(t)) for t in top}


def _build() -> AgencyTree:
    units = {
        u["id"]: u["parent_id"]
        for u in AdministrativeUnit.objects.values("id", "parent_id").order_by()
    }
    rows = list(
        Agency.objects.values(
            "id", "name", "abbreviation", "identifier", "parent_id", "admin_unit_id", "kind"
        ).order_by("identifier")
    )
    committee_of_unit: dict[int, int] = {}
    for row in rows:
        if row["kind"] == Agency.Kind.PEOPLES_COMMITTEE and row["admin_unit_id"]:
            committee_of_unit.setdefault(row["admin_unit_id"], row["id"])
    nodes: dict[int, Node] = {}
    for row in rows:
        parent = row["parent_id"]
        if parent is None and row["admin_unit_id"]:
            unit = row["admin_unit_id"]
            if row["kind"] != Agency.Kind.PEOPLES_COMMITTEE:
                parent = committee_of_unit.get(unit)
            seen: set[int] = set()
            while parent is None and unit is not None and unit not in seen:
                seen.add(unit)
                unit = units.get(unit)
                if unit is not None:
                    parent = committee_of_unit.get(unit)
        nodes[row["id"]] = Node(
            id=row["id"],
            name=row["name"],
            abbreviation=row["abbreviation"],
            identifier=row["identifier"],
            parent_id=parent if parent != row["id"] else None,
        )
    # Break any cycle an operator's data could make: the agency on it becomes a root.
    for node in nodes.values():
        seen_ids: set[int] = {node.id}
        current = node.parent_id
        while current is not None:
            if current in seen_ids or current not in nodes:
                node.parent_id = None
                break
            seen_ids.add(current)
            current = nodes[current].parent_id
    for node in nodes.values():
        if node.parent_id is not None:
            nodes[node.parent_id].children.append(node.id)
    tree = AgencyTree(nodes=nodes)
    for agency_id, label in short_labels(tree).items():
        nodes[agency_id].label = label
    return tree


def short_label(name: str, place: str = "") -> str:
    """ "Ủy ban nhân dân phường Hạ Long" -> "UBND phường Hạ Long"; "Sở Tư pháp tỉnh Quảng Ninh"
    -> "Sở Tư pháp" when `place` is "tỉnh Quảng Ninh" (the place of the tree's top). The
    abbreviation alone ("UBND") never: it names no place."""
    label = " ".join(name.split())
    if place and label.endswith(" " + place) and not label.startswith(COMMITTEE):
        label = label[: -len(place) - 1]
    if label.startswith(COMMITTEE + " "):
        label = "UBND " + label[len(COMMITTEE) + 1 :]
    return label


def short_labels(tree: AgencyTree) -> dict[int, str]:
    """A short label per agency, unique across the tree: where two agencies would read the same,
    both keep their full names (and their identifiers, when even those are the same)."""
    labels: dict[int, str] = {}
    for agency_id, node in tree.nodes.items():
        top = tree.nodes[(tree.ancestors(agency_id) or [agency_id])[0]]
        place = top.name[len(COMMITTEE) + 1 :] if top.name.startswith(COMMITTEE + " ") else ""
        labels[agency_id] = short_label(node.name, "" if top.id == agency_id else place)
    for widen in (
        lambda agency_id: tree.nodes[agency_id].name,
        lambda agency_id: f"{tree.nodes[agency_id].name} ({tree.nodes[agency_id].identifier})",
    ):
        seen: dict[str, int] = {}
        for label in labels.values():
            seen[label] = seen.get(label, 0) + 1
        labels = {a: label if seen[label] == 1 else widen(a) for a, label in labels.items()}
    return labels


def agency_tree() -> AgencyTree:
    """The tree, cached for a minute (two small queries to build)."""
    tree = cache.get(CACHE_KEY)
    if tree is None:
        tree = _build()
        cache.set(CACHE_KEY, tree, CACHE_SECONDS)
    return tree
