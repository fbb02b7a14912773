"""Loading and validating content/ and quizzes/."""
