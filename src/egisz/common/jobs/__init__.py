"""Background work on Django's tasks API (django-tasks with its database backend): the
worker loop behind `egisz worker` and serve-demo, and the periodic jobs it schedules."""
