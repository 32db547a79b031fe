"""The built-in "case handling" survey: one CSAT question about how the case was handled and an
optional comment, sent after a case closes. Pure (no Django): a definition in the surveys'
documented format, built with the surveys' template parts."""

from __future__ import annotations

from kesheng.surveys.builtin.parts import definition, page, question, text

TEMPLATE_KEY = "case_handling"
CSAT_QUESTION = "handling_csat"
COMMENT_QUESTION = "handling_comment"
TITLE = text("问题处理满意度", "How we handled your case")


def handling_survey_definition() -> dict:
    return definition(
        TITLE,
        [
            page(
                "p1",
                None,
                [
                    question(
                        CSAT_QUESTION,
                        "csat",
                        text(
                            "您对我们处理您问题的方式满意吗？",
                            "How satisfied are you with how we handled your case?",
                        ),
                        required=True,
                    ),
                    question(
                        COMMENT_QUESTION,
                        "long_text",
                        text(
                            "还有什么我们应该做得更好？",
                            "Is there anything we should have done better?",
                        ),
                    ),
                ],
            )
        ],
        thank_you=text(
            "谢谢！您的意见会帮助我们改进。", "Thank you! Your answer helps us improve."
        ),
    )
