"""Customer accounts: finding the ones a Slack message mentions."""
