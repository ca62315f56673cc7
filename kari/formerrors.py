"""Showing a service's ValidationError on a form: each message on its field, the rest on top."""


def apply_errors(form, exc) -> None:
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, messages in exc.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
