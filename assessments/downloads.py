"""Report downloads: only through these permission-checked responses, never a public media URL."""

from django.http import FileResponse, Http404

from assessments.models import Report, ReportStatus


def report_file_response(report: Report) -> FileResponse:
    """The stored PDF as an attachment with a safe name; 404 unless the report is ready."""
    if report.status != ReportStatus.READY or not report.file:
        raise Http404("The report is not ready.")
    try:
        handle = report.file.open("rb")
    except FileNotFoundError as error:
        raise Http404("The report file is missing.") from error
    response = FileResponse(
        handle, as_attachment=True, filename=report.filename, content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Digest"] = f"sha-256={report.checksum}"
    return response
