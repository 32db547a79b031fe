"""The built-in survey templates, as Python data producing definitions in the documented format.

``list_templates()`` names them; ``get_template(key)`` gives ``(title, definition)`` with a fresh
definition each call (a caller may change it). Creating a survey from one is the action
``kesheng.surveys.actions.templates.create_survey_from_template``. docs/surveys.md, "Built-in
templates", describes each.

Pure module: no Django imports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from kesheng.surveys.builtin import standard, xvoc
from kesheng.surveys.builtin.parts import text


@dataclass(frozen=True)
class BuiltinTemplate:
    key: str
    title: dict[str, str]
    description: dict[str, str]
    build: Callable[[], dict]

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title["zh-hans"]


class TemplateCopy(NamedTuple):
    title: str
    definition: dict


TEMPLATES: dict[str, BuiltinTemplate] = {
    template.key: template
    for template in [
        BuiltinTemplate(
            "post_purchase_csat",
            text("购物满意度调查", "Post-purchase satisfaction survey"),
            text("订单完成后询问 CSAT（1–5）及原因。", "CSAT (1-5) and why, after an order."),
            standard.post_purchase_csat,
        ),
        BuiltinTemplate(
            "nps_relationship",
            text("客户推荐度调查", "Customer relationship survey (NPS)"),
            text("定期询问 NPS（0–10）及原因。", "NPS (0-10) and why, asked periodically."),
            standard.nps_relationship,
        ),
        BuiltinTemplate(
            "ces_service_case",
            text("服务体验调查", "Service experience survey (CES)"),
            text("服务工单关闭后询问 CES（1–7）。", "CES (1-7) after a service case closes."),
            standard.ces_service_case,
        ),
        BuiltinTemplate(
            "store_visit",
            text("门店体验调查", "Store visit survey"),
            text(
                "到店体验：目的、满意度、门店各方面、推荐度。",
                "A store visit: purpose, CSAT, aspects, NPS.",
            ),
            standard.store_visit,
        ),
        *[
            BuiltinTemplate(
                key,
                title,
                text(
                    f"{len(subprocesses)} 个子流程的重要性与满意度（10 分制）、"
                    "总体满意度、最佳与最差供应商。",
                    f"Importance and satisfaction (10 points) of {len(subprocesses)} "
                    "sub-processes, overall satisfaction, best and worst provider.",
                ),
                partial(xvoc.xvoc_definition, key),
            )
            for key, (title, _provider, subprocesses) in xvoc.JOURNEYS.items()
        ],
    ]
}


def list_templates() -> list[BuiltinTemplate]:
    return list(TEMPLATES.values())


def get_template(key: str, language: str = "zh-hans") -> TemplateCopy:
    """The template's title (in ``language``) and a fresh copy of its definition.

    Raises KeyError naming the known keys when ``key`` is not one of them."""
    template = TEMPLATES.get(key)
    if template is None:
        raise KeyError(f"no template '{key}'; the templates are: {', '.join(TEMPLATES)}")
    return TemplateCopy(template.title_in(language), template.build())
