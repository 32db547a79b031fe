"""Writers of survey definitions in other tools' formats (SurveyJS JSON)."""
